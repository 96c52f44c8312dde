"""altresponse: plan, operate and evaluate civilian crisis response to 911 calls."""

__version__ = "0.1.0"

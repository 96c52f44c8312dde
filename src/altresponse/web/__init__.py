"""The consoles: call-taker and dispatcher, responder, supervisor (server-rendered pages)."""

from altresponse.web.pages import mount_consoles

__all__ = ["mount_consoles"]

"""Sample City: a seeded, realistic year of 911 calls built from published figures."""

from altresponse.samplecity.generator import SampleSummary, generate

__all__ = ["SampleSummary", "generate"]

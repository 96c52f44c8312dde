"""Planning: what a city's 911 calls say about a civilian response program (the plan report)."""

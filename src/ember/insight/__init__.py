"""Insight: explain every compile stage of the user's code (and, later, profile it)."""

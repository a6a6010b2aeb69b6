"""Seats bought against seats used: figures, chart, report and the post."""

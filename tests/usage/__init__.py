"""Tests of bot/usage/: seats used, the chart, the report."""

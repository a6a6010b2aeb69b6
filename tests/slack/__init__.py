"""Tests of bot/slack/: declared access."""

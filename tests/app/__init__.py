"""Tests of bot/app/: the bolt app and the CLI."""

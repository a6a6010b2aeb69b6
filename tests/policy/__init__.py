"""Tests of bot/policy/: the pure rules, one file per flow."""

"""Tests of bot/orders/ (the order flow end to end is in tests/flows/)."""

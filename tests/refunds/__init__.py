"""Tests of bot/refunds/ (the refund flow end to end is in tests/flows/)."""

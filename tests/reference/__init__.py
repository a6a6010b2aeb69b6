"""Tests of bot/reference/: the price book and the term book."""

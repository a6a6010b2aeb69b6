"""Tests of bot/cache/: the typeahead (the sync's are in tests/sync/)."""

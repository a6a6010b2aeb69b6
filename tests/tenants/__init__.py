"""Tests of bot/tenants/: browsing, details, editing."""

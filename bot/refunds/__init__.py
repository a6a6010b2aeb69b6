"""Refund tickets: form, tickets, views."""

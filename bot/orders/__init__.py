"""Ordering licenses into a license group or a new one: form, choices, plan, delivery, views."""

"""Changing a subscription's seat count: the change and its views."""

"""Cancelling a subscription: the request and its views."""

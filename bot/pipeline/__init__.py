"""The request pipeline: states and steps, the kinds registry, the worker, leases, approvals,
confirmations, cards and news.
"""

"""License groups and their subscriptions: browsing, details, editing, choosing a subscription."""

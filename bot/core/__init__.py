"""The shared kernel: domain types, errors, clock and dates, ids, limits, numbers, text escaping,
Block Kit pieces, languages and formats.
"""

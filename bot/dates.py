"""Dates in the bot's sentences, for the rules and the views alike (no Slack objects here).

A rule's words carry their dates ("can be removed until …"), so the form, the confirmation and
the card say the same thing; in Slack's mrkdwn a date is a token each viewer's client shows in
their own time zone, with a UTC fallback for clients and places that cannot render it.
"""

from __future__ import annotations

from datetime import datetime


def date_token(when: datetime, style: str = "{date_short_pretty} {time}") -> str:
    """A date Slack renders in each viewer's own time zone, with a UTC fallback."""
    fallback = when.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(when.timestamp())}^{style}|{fallback}>"

"""Dates in the bot's sentences, for the rules and the views alike (no Slack objects here).

A rule's words carry their dates ("can be removed until …"), so the form, the confirmation and
the card say the same thing; in Slack's mrkdwn a date is a token each viewer's client shows in
their own time zone, with a fallback in the reader's zone and language for clients and places
that cannot render it.
"""

from __future__ import annotations

from datetime import datetime

from bot.core.formats import datetime_text
from bot.core.text import escape


def date_token(when: datetime, style: str = "{date_short_pretty} {time}") -> str:
    """A date Slack renders in each viewer's own time zone and language; the fallback (where a
    client cannot render it) in the reader's zone and language (`bot.core.formats`)."""
    fallback = escape(datetime_text(when))
    return f"<!date^{int(when.timestamp())}^{style}|{fallback}>"

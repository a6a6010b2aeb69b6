"""The daily window digest: what can still be undone and until when, posted once a day.

At `CSP_DIGEST_TIME` (UTC) one replica — the one whose claim of the day's row wins, a primary
key in `digests` — asks every source in `SOURCES` what to say, posts the lines in
`CSP_DIGEST_CHANNEL` (the approvals channel by default) and DMs each requester the lines about
their own requests. A day with nothing to say posts nothing.

A source is an async function `(runtime, now) -> list[DigestLine]`: licences' seat windows,
cancellation windows and scheduled changes are the first three; software windows (Partner
Center) join by adding theirs to `SOURCES`.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from slack_sdk.models.blocks import Block

from bot.core.blocks import date_token, section
from bot.core.domain import Request
from bot.core.i18n import _, ngettext
from bot.core.text import escape
from bot.pipeline.cards import Card
from bot.policy.terms import ProviderRenewal, current_term
from bot.policy.windows import cancellation_closes
from bot.reference.terms import load_term_book
from store import cache
from store import schedule as schedule_sql

log = logging.getLogger(__name__)

#: "Closing soon" and "due tomorrow" look this far ahead.
HORIZON = timedelta(hours=24)
#: A Slack message holds 50 blocks; the digest keeps well within.
MAX_LINES_PER_SECTION = 40


@dataclass(frozen=True)
class DigestLine:
    """One thing worth knowing today, in mrkdwn (escaped), and whose it is (None: nobody's in
    particular; the channel only)."""

    heading: str
    text: str
    requester: str | None = None
    #: For ordering within a heading: the soonest first.
    when: datetime | None = None


DigestSource = Callable[[Any, datetime], Awaitable[list[DigestLine]]]


def _group(display_name: str | None, service_name: str) -> str:
    return escape(display_name or service_name)


async def undoable_seats(runtime: Any, now: datetime) -> list[DigestLine]:
    """Seats added within their reduction window: "7 Office 365 E3 seats added at Nordwind can
    still be removed until …"."""
    from bot.seats.changes import reduction_window

    window = reduction_window(runtime.settings)
    async with runtime.db.session() as session:
        rows = await schedule_sql.seat_batches_since(session, now - window)
        owners = await schedule_sql.requesters_of(
            session, [b.request_id for b, _s, _n in rows if b.request_id is not None])
    heading = _("Can still be undone")
    lines = []
    for batch, sub, display_name in rows:
        until = batch.added_at + window
        if until <= now or batch.seats <= 0:
            continue
        text = ngettext(
            "{n} {license} seat added at {group} can still be removed until {date}",
            "{n} {license} seats added at {group} can still be removed until {date}",
            batch.seats, license=escape(sub.license_name or str(sub.license_id)),
            group=_group(display_name, sub.service_name), date=date_token(until))
        lines.append(DigestLine(heading, text, owners.get(batch.request_id or -1), until))
    return lines


async def closing_cancellations(runtime: Any, now: datetime) -> list[DigestLine]:
    """Subscriptions whose cancellation window (of their current term) closes within a day."""
    from bot.cancellation.cancel import cancellation_window

    window = cancellation_window(runtime.settings)
    book = load_term_book(runtime.settings)
    heading = _("Cancellation windows closing within 24 hours")
    lines = []
    async with runtime.db.session() as session:
        for service_name, _display in await cache.tenant_names(session):
            tenant = await cache.get_tenant(session, service_name)
            if tenant is None:
                continue
            provider = ProviderRenewal.of(tenant.service_info)
            for sub in await cache.subscriptions_of(session, service_name):
                if sub.parent_id is not None:  # an add-on goes with its subscription
                    continue
                term = current_term(book.plan(sub.license_id, sub.license_name),
                                    sub.creation_date, now, provider)
                if term.started is None:
                    continue
                closes = cancellation_closes(term.started, window)
                if now < closes <= now + HORIZON:
                    lines.append(DigestLine(heading, _(
                        "{license} ({id}) at {group}: cancellable with a refund until {date}",
                        license=escape(sub.license_name or str(sub.license_id)), id=sub.id,
                        group=escape(tenant.label), date=date_token(closes)), None, closes))
    return lines


async def scheduled_tomorrow(runtime: Any, now: datetime) -> list[DigestLine]:
    """Changes scheduled for the renewal that the worker sends by the end of tomorrow (UTC)."""
    until = datetime.combine(now.date() + timedelta(days=2), time.min, tzinfo=now.tzinfo)
    async with runtime.db.session() as session:
        rows = await schedule_sql.scheduled_before(session, until)
    heading = _("Scheduled for today and tomorrow")
    lines = []
    for row in rows:
        request = Request.model_validate(row)
        if request.run_at is None or request.run_at <= now:
            continue
        lines.append(DigestLine(heading, _(
            "{ref} · {summary}: sent {date} (<@{user}>)", ref=request.ref,
            summary=escape(request.summary), date=date_token(request.run_at),
            user=request.requester), request.requester, request.run_at))
    return lines


#: Asked in this order; each heading keeps the order of its first line.
SOURCES: tuple[DigestSource, ...] = (undoable_seats, closing_cancellations, scheduled_tomorrow)


def digest_card(lines: Sequence[DigestLine], *, mine: bool = False) -> Card:
    """The digest's message: a section per heading, the soonest first."""
    title = _(":calendar: *Your windows today*") if mine else _(":calendar: *Windows today*")
    headings: dict[str, list[DigestLine]] = {}
    for line in lines:
        headings.setdefault(line.heading, []).append(line)
    blocks: list[Block] = [section(title)]
    texts = [title]
    for heading, items in headings.items():
        items = sorted(items, key=lambda x: (x.when is None, x.when.timestamp() if x.when else 0))
        shown = items[:MAX_LINES_PER_SECTION]
        body = "\n".join(f"• {x.text}" for x in shown)
        if len(items) > len(shown):
            body += "\n" + _("… and {n} more", n=len(items) - len(shown))
        text = f"*{heading}*\n{body}"
        blocks.append(section(text[:2900]))
        texts.append(text)
    return Card("\n".join(texts)[:3000], blocks)


def due_day(now: datetime, at: str) -> datetime | None:
    """Today's digest moment if it has come (UTC), else None."""
    hours, minutes = (int(x) for x in at.split(":"))
    moment = datetime.combine(now.date(), time(hours, minutes), tzinfo=now.tzinfo)
    return moment if now >= moment else None


async def gather(runtime: Any, now: datetime,
                 sources: Sequence[DigestSource] = SOURCES) -> list[DigestLine]:
    lines: list[DigestLine] = []
    for source in sources:
        try:
            lines.extend(await source(runtime, now))
        except Exception:  # one source failing leaves the others their say
            log.exception("digest source %s failed", getattr(source, "__name__", source))
    return lines


async def send_digest(runtime: Any, sources: Sequence[DigestSource] = SOURCES) -> bool:
    """Sends today's digest if its time has come and no replica sent it; True when this one
    took it (whether or not there was anything to say)."""
    now = runtime.clock.now()
    settings = runtime.settings
    if due_day(now, settings.csp_digest_time) is None:
        return False
    channel = settings.csp_digest_channel or settings.csp_approvals_channel
    owner = getattr(getattr(runtime, "worker", None), "worker_id", "csp-bot")
    day = now.date()
    async with runtime.db.transaction() as session:
        if not await schedule_sql.claim_digest(session, day, owner, now):
            return False
    lines = await gather(runtime, now, sources)
    if lines and channel:
        card = digest_card(lines)
        try:
            await runtime.slack.chat_postMessage(channel=channel, text=card.text,
                                                 blocks=card.blocks_json())
        except Exception:
            log.exception("the digest could not be posted in %s; trying again later", channel)
            async with runtime.db.transaction() as session:
                await schedule_sql.release_digest(session, day, owner)
            return False
    for user, own in _by_requester(lines).items():
        try:
            await runtime.notifier.direct_message(user, digest_card(own, mine=True))
        except Exception:
            log.exception("the digest could not be sent to %s", user)
    async with runtime.db.transaction() as session:
        await schedule_sql.digest_sent(session, day, now)
    return True


def _by_requester(lines: Sequence[DigestLine]) -> dict[str, list[DigestLine]]:
    mine: dict[str, list[DigestLine]] = {}
    for line in lines:
        if line.requester:
            mine.setdefault(line.requester, []).append(line)
    return mine

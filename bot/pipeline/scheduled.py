"""Requests scheduled for the renewal: the requester's reminder the day before.

A decrease or a cancellation that only a closed window refuses can be scheduled for the start
of the next term (`bot.seats.changes.at_renewal`, `bot.cancellation.cancel.renewal_for`). It
waits in the `scheduled` state with its `run_at`; the worker takes it then like any queued request
(`store.leases.claimable_ids`) and reads the subscription before sending
(`bot.pipeline.execution.reconcile`). Until then the requester may withdraw it, and is reminded by
DM a day before — once, whatever the number of replicas (a conditional update claims it). One
whose window closed before it could be sent (the bot was stopped) expires instead.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from bot.core.domain import Request, RequestState
from bot.core.i18n import _
from bot.pipeline import news
from bot.pipeline import transitions as pipeline
from store import schedule as schedule_sql

log = logging.getLogger(__name__)

#: How long before its time a scheduled request's requester is reminded.
REMIND_BEFORE = timedelta(hours=24)


async def expire_late(runtime: Any) -> int:
    """A scheduled request whose window closed before the worker could send it (the bot was
    stopped through it) expires: sent late, it would get no refund nobody agreed to."""
    now = runtime.clock.now()
    async with runtime.db.session() as session:
        rows = await schedule_sql.scheduled_past_deadline(session, now)
    expired = 0
    for row in rows:
        async with runtime.db.transaction() as session:
            moved = await pipeline.transition(
                session, row.id, {RequestState.SCHEDULED}, RequestState.EXPIRED, "csp-bot",
                _("its window closed before it could be sent"), values={"decided_at": now})
        # the card and the DM follow the commit (bot.pipeline.notify.follow_up)
        if moved is not None:
            expired += 1
    return expired


async def remind_scheduled(runtime: Any) -> int:
    """DMs each requester whose scheduled request runs within a day; returns how many."""
    now = runtime.clock.now()
    async with runtime.db.session() as session:
        rows = await schedule_sql.scheduled_before(session, now + REMIND_BEFORE, unreminded=True)
    sent = 0
    for row in rows:
        request = Request.model_validate(row)
        if request.run_at is None or request.run_at <= now:
            continue  # its time has come: the worker sends it, and the news follows
        async with runtime.db.transaction() as session:
            if not await schedule_sql.claim_scheduled_reminder(session, request.id, now):
                continue
        try:
            with (await runtime.locales.of(request.requester)).speaking():  # their words, zone
                card = news.scheduled_reminder(request)
            await runtime.notifier.direct_message(request.requester, card)
        except Exception:
            log.exception("could not remind the requester of %s; trying again later",
                          request.ref)
            async with runtime.db.transaction() as session:
                await schedule_sql.release_scheduled_reminder(session, request.id)
            continue
        sent += 1
    return sent

"""A DM to the buyer before a software purchase's cancellation window closes, once.

Which purchases: bought through the bot (their buyer is known), still held, whose window
closes within CSP_SOFTWARE_REMINDER_HOURS. Each is claimed with a conditional update before its
DM, so replicas and restarts never send it twice (a DM lost to a Slack outage is not resent:
once is the promise, at most once the guarantee).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from bot.software.purchases import Purchase
from store import software as repo

if TYPE_CHECKING:
    from bot.app.runtime import Runtime

log = logging.getLogger(__name__)


async def remind_software_windows(runtime: Runtime) -> int:
    """Sends the reminders that are due; returns how many."""
    from bot.software.views import window_reminder

    now = runtime.clock.now()
    until = now + timedelta(hours=runtime.settings.csp_software_reminder_hours)
    async with runtime.db.session() as session:
        due = await repo.due_reminders(session, now, until)
        names = {r.customer_id: ((await repo.get_customer(session, r.customer_id)) or r)
                 for r in due}
    sent = 0
    for row in due:
        buyer = row.bought_by
        if buyer is None:  # never: due_reminders lists only purchases with a buyer
            continue
        async with runtime.db.transaction() as session:
            if not await repo.claim_reminder(session, row, now):
                continue
        customer = names[row.customer_id]
        with (await runtime.locales.of(row.bought_by)).speaking():  # the buyer's words and zone
            card = window_reminder(Purchase.of(row), getattr(customer, "name", row.customer_id))
        try:
            await runtime.notifier.direct_message(buyer, card)
            sent += 1
        except Exception:
            log.exception("could not remind %s of order %s", row.bought_by, row.order_id)
    return sent

"""Posts and updates what people see about a request: status cards, approval cards, DMs.

Every part that changes a request calls `Notifier.request_changed()` after its transaction
commits. Slack being unhappy never undoes or blocks a state change: failures are logged and the
worker re-tries cards that were never posted.
"""

from __future__ import annotations

import logging

from bot.domain import Request

log = logging.getLogger(__name__)


class Notifier:
    def __init__(self, runtime) -> None:
        self.runtime = runtime

    async def request_changed(self, request: Request, *, actor: str | None = None) -> None:
        """Brings the status card (and approval card) of `request` up to date, and DMs the
        requester on decisions and completion."""
        log.debug("request %s is now %s", request.ref, request.state)

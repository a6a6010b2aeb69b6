"""Decisions on requests: approve, reject, withdraw; deadlines and reminders; later moves.

Every decision is one `pipeline.transition` from `awaiting_approval`: when two people click at
once, the database lets exactly one of them through, and the other is told who got there first.
The roles and the deadline are checked here, on the server, whatever the buttons showed.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Collection
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot import policy
from bot.app.metrics import approval_decided
from bot.core.blocks import date_token
from bot.core.domain import Request, RequestState, Role
from bot.core.errors import AlreadyHandled, FormErrors, NotAllowed
from bot.core.i18n import _
from bot.core.ids import PipelineBlock
from bot.pipeline import transitions as pipeline
from bot.pipeline.cards import is_posted, state_short
from bot.pipeline.kinds import spec_of
from store import requests as repo

if TYPE_CHECKING:
    from bot.app.runtime import Runtime

log = logging.getLogger(__name__)

S = RequestState
#: States a requester may withdraw from (`policy.may_withdraw`).
WITHDRAWABLE = frozenset({S.AWAITING_APPROVAL, S.SCHEDULED})
#: Who acts when nobody does: deadlines expiring.
SYSTEM_ACTOR = "csp-bot"
REASON_LIMIT = 2000


def wake_worker(runtime: Runtime) -> None:
    """Lets the worker take a request just queued now rather than at its next interval."""
    worker = getattr(runtime, "worker", None)
    if worker is not None:
        worker.wake()


def already_decided(request: Request) -> str:
    """What the loser of a race is told: who got there first, and when."""
    who = f"<@{request.decided_by}>" if request.decided_by else ""
    when = date_token(request.decided_at) if request.decided_at else ""
    match request.state:
        case S.REJECTED:
            return _("{ref} was already rejected by {who} {when}.", ref=request.ref, who=who,
                     when=when)
        case S.WITHDRAWN:
            return _("{ref} was withdrawn by the requester {when}.", ref=request.ref, when=when)
        case S.EXPIRED:
            return _("{ref} expired {when}: the deadline passed before anyone decided.",
                     ref=request.ref, when=when)
        case S.DRAFT:
            return _("{ref} was never confirmed by the requester.", ref=request.ref)
    if request.decided_by:
        return _("{ref} was already approved by {who} {when}.", ref=request.ref, who=who,
                 when=when)
    return _("{ref} is no longer waiting for a decision (it is {state}).", ref=request.ref,
             state=state_short(request.state))


# --- decisions ------------------------------------------------------------------------------


async def check_decider(runtime: Runtime, request_id: int, actor: str) -> Request:
    """The request, if `actor` may decide on it now; a polite refusal otherwise.

    A decision after the deadline is refused and the request expires on the spot.
    """
    request = await pipeline.load(runtime.db, request_id)
    roles = await runtime.roles.of(actor)
    now = runtime.clock.now()
    decision = policy.may_decide(request, actor, roles, now)
    if decision.allowed:
        _check_kind_rule(request, actor, roles)
        return request
    is_agent = Role.SUPPORT in roles or Role.ADMIN in roles
    if is_agent and request.requester != actor and request.state is not S.AWAITING_APPROVAL:
        raise AlreadyHandled(already_decided(request))
    if decision.expired:
        await expire(runtime, request, now)
        raise NotAllowed(
            decision.reason + " " + _("It is now expired, and the requester has been told.")
        )
    raise NotAllowed(decision.reason)


def _check_kind_rule(request: Request, actor: str, roles: Collection[Role]) -> None:
    """The kind's own rule on who decides (a claimed refund ticket: its agent, or an admin)."""
    refused = spec_of(request.kind).may_decide(request, actor, roles)
    if refused is not None and not refused.allowed:
        raise NotAllowed(refused.reason)


async def approve(runtime: Runtime, request_id: int, actor: str) -> Request:
    """Approves: a change is queued for the worker, a refund ticket becomes `approved` (the
    kind's `approved_to`)."""
    request = await check_decider(runtime, request_id, actor)
    target = spec_of(request.kind).approved_to
    if target is S.QUEUED:  # a change scheduled for the renewal waits for its time
        target = pipeline.ready_state(False, request.run_at)
    moved = await _decide(runtime, request, target, actor, _("approved"), None)
    if target is not S.APPROVED:
        wake_worker(runtime)
    return moved


async def reject(runtime: Runtime, request_id: int, actor: str, reason: str) -> Request:
    """Rejects with a reason the requester will read; a blank reason is sent back."""
    reason = (reason or "").strip()
    if not reason:
        raise FormErrors(
            {PipelineBlock.REJECT_REASON: _("Say why, so the requester knows what to change.")}
        )
    request = await check_decider(runtime, request_id, actor)
    return await _decide(runtime, request, S.REJECTED, actor, reason, reason[:REASON_LIMIT])


async def withdraw(runtime: Runtime, request_id: int, actor: str) -> Request:
    """The requester takes back a request that still waits for a decision, or for the renewal
    it was scheduled for."""
    request = await pipeline.load(runtime.db, request_id)
    decision = policy.may_withdraw(request, actor)
    if not decision.allowed:
        if request.requester == actor and request.state not in WITHDRAWABLE:
            raise AlreadyHandled(already_decided(request))
        raise NotAllowed(decision.reason)
    return await _decide(runtime, request, S.WITHDRAWN, actor, _("withdrawn"), None,
                         expected=request.state)


async def _decide(
    runtime: Runtime, request: Request, target: RequestState, actor: str, note: str,
    decision_note: str | None, *, expected: RequestState = S.AWAITING_APPROVAL,
) -> Request:
    values = {"decided_by": actor, "decided_at": runtime.clock.now(),
              "decision_note": decision_note}
    deciding = target is not S.WITHDRAWN
    roles = await runtime.roles.of(actor) if deciding else ()
    async with runtime.db.transaction() as session:
        moved = await pipeline.transition(
            session, request.id, {expected}, target, actor, note, values=values
        )
        if moved is not None and deciding:
            # e.g. claimed between the check and this click: raising rolls the decision back
            _check_kind_rule(moved, actor, roles)
    if moved is None:
        raise AlreadyHandled(already_decided(await pipeline.load(runtime.db, request.id)))
    approval_decided(runtime, moved)  # the cards follow the commit (bot.pipeline.notify.follow_up)
    return moved


# --- deadlines and reminders ----------------------------------------------------------------


async def expire(runtime: Runtime, request: Request, now: datetime) -> bool:
    """Expires a request whose deadline passed; False if it was decided meanwhile."""
    values = {"decided_by": None, "decided_at": now, "decision_note": None}
    async with runtime.db.transaction() as session:
        moved = await pipeline.transition(
            session, request.id, {S.AWAITING_APPROVAL}, S.EXPIRED, SYSTEM_ACTOR,
            _("the deadline passed before a decision"), values=values,
        )
    if moved is None:
        return False
    approval_decided(runtime, moved)
    return True


async def expire_overdue(runtime: Runtime) -> int:
    """Expires every request whose deadline passed without a decision.

    A request whose kind says its deadline does not bind it (`KindSpec.expires`: a
    cancellation whose requester accepted "no refund") is left alone: it can still be approved
    after its window.
    """
    now = runtime.clock.now()
    async with runtime.db.session() as session:
        rows = await repo.awaiting_with_deadline_before(session, now)
    expired = 0
    for row in rows:
        request = Request.model_validate(row)
        if not spec_of(request.kind).expires(request):
            continue
        if await expire(runtime, request, now):
            expired += 1
    return expired


def due_reminders(hours: Collection[int], deadline: datetime, now: datetime) -> list[int]:
    """The reminders (hours before the deadline) whose time has come, most urgent last."""
    return sorted((h for h in hours if deadline - timedelta(hours=h) <= now < deadline),
                  reverse=True)


async def send_reminders(runtime: Runtime) -> int:
    """Reminds the approvers, in the approval card's thread, before a deadline lapses.

    Each reminder is sent once: the request_reminders primary key is claimed before posting
    (and given back if Slack refused). When several are due at once, only the most urgent is
    posted.
    """
    hours = runtime.settings.reminder_hours
    if not hours:
        return 0
    now = runtime.clock.now()
    async with runtime.db.session() as session:
        rows = await repo.awaiting_with_deadline_before(session, now + timedelta(hours=max(hours)))
    sent = 0
    for row in rows:
        request = Request.model_validate(row)
        if not is_posted(request.approval_ts) or request.deadline is None:
            continue  # no card to remind in yet; the next round will see it
        due = due_reminders(hours, request.deadline, now)
        if not due:
            continue
        claimed = await claim_reminders(runtime, request.id, due, now)
        if due[-1] not in claimed:
            continue
        left = max(1, math.ceil((request.deadline - now).total_seconds() / 3600))
        try:
            await runtime.notifier.remind(request, left)
        except Exception:
            log.exception("could not remind about %s; trying again later", request.ref)
            async with runtime.db.transaction() as session:
                for h in claimed:
                    await repo.release_reminder(session, request.id, h)
            continue
        sent += 1
    return sent


async def claim_reminders(
    runtime: Runtime, request_id: int, hours: Collection[int], now: datetime
) -> list[int]:
    """Marks reminders as given; returns those nobody had given yet."""
    claimed = []
    async with runtime.db.transaction() as session:
        for h in hours:
            if await repo.claim_reminder(session, request_id, h, now):
                claimed.append(h)
    return claimed


async def watch_deadlines(runtime: Runtime) -> None:
    """One round of the deadlines loop: expire what is overdue, then remind (the approvers of
    deadlines, the requesters of changes scheduled for tomorrow's renewal)."""
    from bot.pipeline.scheduled import expire_late, remind_scheduled

    await expire_overdue(runtime)
    await expire_late(runtime)
    await send_reminders(runtime)
    await remind_scheduled(runtime)


# --- moves made by people after approval (refund tickets: bot.refunds.tickets) --------------------


async def advance(
    runtime: Runtime,
    request_id: int,
    expected: Collection[RequestState],
    new: RequestState,
    actor: str,
    note: str = "",
    values: dict[str, Any] | None = None,
    data: dict[str, Any] | None = None,
) -> Request:
    """One move by a person, e.g. a refund ticket `approved → filed`; AlreadyHandled if
    somebody else moved it first. The cards follow the commit, in the background."""
    async with runtime.db.transaction() as session:
        moved = await pipeline.transition(
            session, request_id, expected, new, actor, note, values=values, data=data
        )
    if moved is None:
        latest = await pipeline.load(runtime.db, request_id)
        raise AlreadyHandled(
            _("{ref} is {state} now; nothing was changed.", ref=latest.ref,
              state=state_short(latest.state))
        )
    return moved

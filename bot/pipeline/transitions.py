"""The request state machine: one table of allowed moves, one `transition()` that is the only
way a request changes state (a conditional update plus an audit event, in the caller's
transaction), and the draft → confirm entry every flow shares.

Each move is recorded on the transaction (`Change`, through `store.db.after_commit`): the
notifier hears of it only once the transaction has committed (`bot.pipeline.notify.follow_up`),
so no caller schedules card and DM updates by hand, and a rolled-back transaction tells nobody
anything. Steps have their own table (`STEP_MOVES`) and one writer, `move_step()`.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.app.log_context import REQUEST_REF
from bot.core.domain import (
    Draft,
    Request,
    RequestKind,
    RequestState,
    RequestStep,
    StepAction,
    StepState,
)
from bot.core.errors import AlreadyHandled, NotAllowed, NotFoundError
from bot.core.i18n import _
from bot.pipeline.kinds import Moves, spec_of
from store import drafts as drafts_repo
from store import requests as repo
from store.db import Database, after_commit
from store.models import DraftRow, utcnow

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from bot.roles.grants import Roles

S = RequestState
St = StepState

#: Who signs the worker's moves; the notifier follows them up before the worker goes on.
WORKER = "worker"

class _AllowedMoves(Mapping[RequestKind, Moves]):
    """`ALLOWED[kind][before]`: the states `before` may move to, read from the kind's spec."""

    def __getitem__(self, kind: RequestKind) -> Moves:
        return spec_of(kind).moves

    def __iter__(self) -> Iterator[RequestKind]:
        return iter(RequestKind)

    def __len__(self) -> int:
        return len(RequestKind)


#: The allowed moves of each kind: its spec's table (`bot.pipeline.kinds`; refund tickets have their
#: own, every other kind `CHANGE_MOVES`).
ALLOWED = _AllowedMoves()


#: How a step moves (docs/pipeline.md, "Steps"): `sending` is committed before the provider
#: call, `running` (with its task) right after; a step may go back to `sending` to be read
#: again, stays `running` while an order's progress is recorded, and people settle `unknown`
#: steps and send failed and unknown ones again (Retry). A done step never moves.
STEP_MOVES: Mapping[StepState, frozenset[StepState]] = {
    St.PENDING: frozenset({St.SENDING}),
    St.SENDING: frozenset({St.RUNNING, St.PENDING, St.FAILED, St.UNKNOWN}),
    St.RUNNING: frozenset({St.RUNNING, St.SENDING, St.DONE, St.FAILED, St.UNKNOWN}),
    St.FAILED: frozenset({St.PENDING}),
    St.UNKNOWN: frozenset({St.PENDING, St.DONE, St.FAILED}),
    St.DONE: frozenset(),
}


class IllegalTransition(Exception):
    """A programming error: code asked for a move the table does not allow."""


class IllegalStepMove(IllegalTransition):
    """A programming error: code asked for a step move `STEP_MOVES` does not allow."""


@dataclass(frozen=True)
class Change:
    """A request changed in a transaction, as the notifier hears of it after the commit.
    `before`: the state it left (None when it did not move: only what its card shows did)."""

    request: Request
    actor: str
    before: RequestState | None = None


def record_change(
    session: AsyncSession, request: Request, actor: str, before: RequestState | None = None
) -> None:
    """Tells the notifier about `request` once `session`'s transaction commits. `transition()`
    does it for every move; call it for a change of what a card shows that is not a move."""
    after_commit(session, Change(request, actor, before))


async def move_step(
    session: AsyncSession,
    step_id: int,
    expected: Collection[StepState],
    new: StepState,
    values: Mapping[str, Any] | None = None,
) -> bool:
    """Moves a step from one of `expected` to `new` (with other columns in `values`), the one
    way a step changes; False when it is no longer in an expected state (another worker got
    there first). A move `STEP_MOVES` does not allow raises `IllegalStepMove`."""
    for state in expected:
        if new not in STEP_MOVES[state]:
            raise IllegalStepMove(f"step {step_id}: {state} → {new} is not allowed")
    return await repo.update_step(session, step_id, expected, {**(values or {}), "state": new})


def is_allowed(kind: RequestKind, before: RequestState, after: RequestState) -> bool:
    return after in ALLOWED[kind].get(before, frozenset())


async def transition(
    session: AsyncSession,
    request_id: int,
    expected: Collection[RequestState],
    new: RequestState,
    actor: str,
    note: str = "",
    *,
    values: dict[str, Any] | None = None,
    data: dict[str, Any] | None = None,
) -> Request | None:
    """Moves a request from one of `expected` to `new`, and records who did it.

    Returns None when the request is no longer in an expected state: somebody else (another
    click, another replica, the worker) got there first, and nothing was changed.
    """
    found = await repo.kind_and_state(session, request_id)
    if found is None:
        raise NotFoundError(_("Request R{id} does not exist.", id=request_id))
    kind, before = RequestKind(found[0]), RequestState(found[1])
    for state in expected:
        if not is_allowed(kind, state, new):
            raise IllegalTransition(f"{kind}: {state} → {new} is not allowed")
    if before not in expected:
        return None
    row = await repo.update_state(session, request_id, before, new, values or {})
    if row is None:
        return None
    ref = f"R{request_id}"
    log.info("%s: %s → %s by %s", ref, before, new, actor, extra={REQUEST_REF: ref})
    await repo.add_audit(
        session,
        request_id=request_id,
        tenant=row.tenant,
        subscription_id=row.subscription_id,
        actor=actor,
        action="transition",
        before_state=before,
        after_state=new,
        note=note or None,
        data=data,
        provider_task_id=(data or {}).get("provider_task_id"),
        provider_query_id=(data or {}).get("provider_query_id"),
    )
    moved = Request.model_validate(row)
    record_change(session, moved, actor, before)
    return moved


# --- drafts and confirmation -----------------------------------------------------------------


@dataclass(frozen=True)
class StepSpec:
    """One provider write a request will make, with its parameters (ids and numbers only)."""

    action: StepAction
    params: dict[str, Any]


@dataclass(frozen=True)
class DraftSpec:
    kind: RequestKind
    requester: str
    summary: str
    payload: dict[str, Any]
    steps: Sequence[StepSpec] = ()
    tenant: str | None = None
    subscription_id: int | None = None
    needs_approval: bool = False
    deadline: datetime | None = None
    origin_channel: str | None = None
    #: Scheduled for the renewal: the worker sends it then, not when it is confirmed.
    run_at: datetime | None = None


def ready_state(needs_approval: bool, run_at: datetime | None) -> RequestState:
    """Where a confirmed (or approved) change goes: to the queue, or to wait for its time."""
    if needs_approval:
        return RequestState.AWAITING_APPROVAL
    return RequestState.SCHEDULED if run_at is not None else RequestState.QUEUED


#: How long an unconfirmed draft is kept (the form it came from is long closed by then).
DRAFT_LIFETIME = timedelta(days=1)


async def create_draft(db: Database, spec: DraftSpec, *, now: datetime | None = None) -> Draft:
    """Stores a validated form as a draft: nothing is sent, and nothing is numbered, until the
    requester confirms. Back and Review again make a new draft; the old one is forgotten."""
    async with db.transaction() as session:
        row = await drafts_repo.insert_draft(
            session,
            kind=spec.kind,
            requester=spec.requester,
            tenant=spec.tenant,
            subscription_id=spec.subscription_id,
            payload=spec.payload,
            steps=[[s.action, s.params] for s in spec.steps],
            summary=spec.summary,
            needs_approval=spec.needs_approval,
            deadline=spec.deadline,
            origin_channel=spec.origin_channel,
            run_at=spec.run_at,
            created_at=now or utcnow(),
        )
        return Draft.model_validate(row)


async def open_request(session: AsyncSession, spec: DraftSpec) -> Request:
    """Inserts a request in `draft`, with its steps and the audit event of what was asked:
    the first half of a Confirm (the caller moves it on in the same transaction)."""
    row = await repo.insert_request(
        session,
        kind=spec.kind,
        state=RequestState.DRAFT,
        requester=spec.requester,
        tenant=spec.tenant,
        subscription_id=spec.subscription_id,
        payload=spec.payload,
        summary=spec.summary,
        needs_approval=spec.needs_approval,
        deadline=spec.deadline,
        origin_channel=spec.origin_channel,
        run_at=spec.run_at,
    )
    await repo.insert_steps(session, row.id, [(s.action, s.params) for s in spec.steps])
    await repo.add_audit(
        session,
        request_id=row.id,
        tenant=spec.tenant,
        subscription_id=spec.subscription_id,
        actor=spec.requester,
        action="draft",
        after_state=RequestState.DRAFT,
        note=spec.summary,
        data=spec.payload,
    )
    return Request.model_validate(row)


def _spec_of(row: DraftRow) -> DraftSpec:
    return DraftSpec(
        kind=RequestKind(row.kind),
        requester=row.requester,
        summary=row.summary,
        payload=row.payload,
        steps=[StepSpec(StepAction(action), params) for action, params in row.steps],
        tenant=row.tenant,
        subscription_id=row.subscription_id,
        needs_approval=row.needs_approval,
        deadline=row.deadline,
        origin_channel=row.origin_channel,
        run_at=row.run_at,
    )


def _already_submitted(request_id: int | None) -> AlreadyHandled:
    if request_id is None:
        return AlreadyHandled(_("This request was already submitted; nothing more was sent."))
    return AlreadyHandled(
        _("Request R{id} was already submitted; nothing more was sent.", id=request_id)
    )


async def load_draft(db: Database, draft_id: int) -> Draft:
    async with db.session() as session:
        row = await drafts_repo.get_draft(session, draft_id)
    if row is None:
        raise NotFoundError(
            _("That confirmation has expired: open the form again to make the request.")
        )
    return Draft.model_validate(row)


async def confirm(db: Database, draft_id: int, actor: str, roles: Roles) -> Request:
    """The requester's Confirm: the draft becomes a numbered request, durable before the modal
    closes, and idempotent.

    Only the person who drafted the request may confirm it, and only while they still hold the
    role that drafts it. A second Confirm of the same draft changes nothing and says it was
    already submitted.
    """
    draft = await load_draft(db, draft_id)
    if draft.requester != actor:
        raise NotAllowed(_("Only the person who prepared this request can confirm it."))
    if draft.confirmed_at is not None:
        raise _already_submitted(draft.request_id)
    await roles.require_drafter(actor, draft.kind)  # a role revoked since the draft was made
    async with db.transaction() as session:
        if await drafts_repo.claim_draft(session, draft_id, utcnow()):
            row = await drafts_repo.get_draft(session, draft_id)
            assert row is not None
            opened = await open_request(session, _spec_of(row))
            target = ready_state(row.needs_approval, row.run_at)
            moved = await transition(
                session, opened.id, {RequestState.DRAFT}, target, actor, _("confirmed")
            )
            await drafts_repo.link_request(session, draft_id, opened.id)
        else:
            moved = None
    if moved is None:
        raise _already_submitted((await load_draft(db, draft_id)).request_id)
    return moved


async def forget_old_drafts(db: Database, now: datetime) -> int:
    """The drafts loop: drafts older than a day are deleted (confirmed ones have their
    request; the others were abandoned). Returns how many were deleted."""
    before = now - DRAFT_LIFETIME
    async with db.transaction() as session:
        count = await drafts_repo.delete_drafts_before(session, before)
        count += await drafts_repo.delete_request_drafts_before(session, before)
    if count:
        log.info("forgot %d abandoned drafts", count)
    return count


async def load(db: Database, request_id: int) -> Request:
    async with db.session() as session:
        row = await repo.get_request(session, request_id)
    if row is None:
        raise NotFoundError(_("Request R{id} does not exist.", id=request_id))
    return Request.model_validate(row)


async def load_steps(db: Database, request_id: int) -> list[RequestStep]:
    async with db.session() as session:
        return [RequestStep.model_validate(r) for r in await repo.get_steps(session, request_id)]


async def confirmed_request(db: Database, draft_id: int) -> Request:
    """The request a confirmed draft became (NotFoundError while it is not confirmed)."""
    draft = await load_draft(db, draft_id)
    if draft.request_id is None:
        raise NotFoundError(_("That request was not confirmed."))
    return await load(db, draft.request_id)

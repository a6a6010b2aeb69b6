"""The request state machine: one table of allowed moves, one `transition()` that is the only
way a request changes state (a conditional update plus an audit event, in the caller's
transaction), and the draft → confirm entry every flow shares.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain import Draft, Request, RequestKind, RequestState, RequestStep, StepAction
from bot.errors import AlreadyHandled, NotAllowed, NotFoundError
from bot.i18n import _
from bot.log_context import REQUEST_REF
from store import drafts as drafts_repo
from store import requests as repo
from store.db import Database
from store.models import DraftRow, utcnow

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from bot.roles import Roles

S = RequestState

#: Requests that change licenses: orders, seat changes, cancellations, tenant edits.
CHANGE_MOVES: dict[RequestState, frozenset[RequestState]] = {
    S.DRAFT: frozenset({S.QUEUED, S.AWAITING_APPROVAL}),
    S.AWAITING_APPROVAL: frozenset({S.QUEUED, S.REJECTED, S.WITHDRAWN, S.EXPIRED}),
    S.QUEUED: frozenset({S.RUNNING, S.FAILED, S.NEEDS_ATTENTION}),
    S.RUNNING: frozenset({S.DONE, S.FAILED, S.NEEDS_ATTENTION, S.QUEUED}),
    S.FAILED: frozenset({S.QUEUED}),  # retried by a person
    S.NEEDS_ATTENTION: frozenset({S.QUEUED, S.DONE, S.FAILED}),  # a person decides
}

#: Refund tickets: the provider is not involved; people move them along.
REFUND_MOVES: dict[RequestState, frozenset[RequestState]] = {
    S.DRAFT: frozenset({S.AWAITING_APPROVAL}),
    S.AWAITING_APPROVAL: frozenset({S.APPROVED, S.REJECTED, S.WITHDRAWN}),
    S.APPROVED: frozenset({S.FILED}),
    S.FILED: frozenset({S.RESOLVED}),
}

ALLOWED: dict[RequestKind, dict[RequestState, frozenset[RequestState]]] = {
    kind: REFUND_MOVES if kind is RequestKind.REFUND else CHANGE_MOVES for kind in RequestKind
}


class IllegalTransition(Exception):
    """A programming error: code asked for a move the table does not allow."""


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
    return Request.model_validate(row)


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
            target = RequestState.AWAITING_APPROVAL if row.needs_approval else RequestState.QUEUED
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

"""The state machine: every allowed move works, every other is refused, races have one winner."""

from __future__ import annotations

import asyncio
import itertools
from types import SimpleNamespace

import pytest

from bot.core.domain import RequestKind, RequestState, StepAction
from bot.core.errors import AlreadyHandled, NotAllowed
from bot.pipeline.transitions import (
    ALLOWED,
    DraftSpec,
    IllegalTransition,
    StepSpec,
    confirm,
    create_draft,
    load_draft,
    open_request,
    transition,
)
from bot.roles.grants import Roles
from store import requests as repo
from store.db import Database
from store.migrate import upgrade
from tests.conftest import make_settings

S = RequestState


@pytest.fixture
async def db(any_database_url):
    database = Database(any_database_url)
    await upgrade(database.engine)
    yield database
    await database.close()


def spec(kind=RequestKind.SEATS, needs_approval=False) -> DraftSpec:
    return DraftSpec(
        kind=kind,
        requester="U0ALICE",
        summary="E3 12 → 13",
        payload={"new_total": 13},
        steps=[StepSpec(StepAction.CHANGE_QUANTITY, {"quantity": 13})],
        tenant="t1",
        subscription_id=7,
        needs_approval=needs_approval,
    )


async def make_request(db, kind=RequestKind.SEATS, state=S.DRAFT, needs_approval=False):
    """A request in `state` (in `draft`: half-way through a Confirm)."""
    async with db.transaction() as session:
        request = await open_request(session, spec(kind, needs_approval))
        if state is not S.DRAFT:
            await repo.update_fields(session, request.id, {"state": state})
    return request.id


async def make_draft(db, kind=RequestKind.SEATS, needs_approval=False) -> int:
    return (await create_draft(db, spec(kind, needs_approval))).id


def all_moves(kind):
    states = list(S)
    for before, after in itertools.product(states, states):
        yield before, after, after in ALLOWED[kind].get(before, frozenset())


@pytest.mark.parametrize("kind", [RequestKind.CANCEL, RequestKind.REFUND])
async def test_every_move_is_allowed_or_refused_as_the_table_says(db, kind):
    for before, after, allowed in all_moves(kind):
        request_id = await make_request(db, kind, before)
        async with db.transaction() as session:
            if allowed:
                moved = await transition(session, request_id, {before}, after, "U0SAM", "test")
                assert moved is not None and moved.state is after, (before, after)
            else:
                with pytest.raises(IllegalTransition):
                    await transition(session, request_id, {before}, after, "U0SAM")
        async with db.session() as session:
            row = await repo.get_request(session, request_id)
            assert row.state == (after if allowed else before)


async def test_a_transition_writes_exactly_one_audit_event(db):
    request_id = await make_request(db)
    async with db.transaction() as session:
        await transition(session, request_id, {S.DRAFT}, S.QUEUED, "U0ALICE", "confirmed")
    async with db.session() as session:
        events = await repo.audit_events(session, request_id=request_id)
    assert [(e.action, e.before_state, e.after_state, e.actor) for e in events] == [
        ("draft", None, "draft", "U0ALICE"),
        ("transition", "draft", "queued", "U0ALICE"),
    ]
    assert events[1].subscription_id == 7 and events[1].tenant == "t1"


async def test_a_stale_expectation_changes_nothing(db):
    request_id = await make_request(db, state=S.QUEUED)
    async with db.transaction() as session:
        assert await transition(session, request_id, {S.DRAFT}, S.AWAITING_APPROVAL, "x") is None
    async with db.session() as session:
        assert (await repo.get_request(session, request_id)).state == "queued"
        assert len(await repo.audit_events(session, request_id=request_id)) == 1


async def test_a_failed_transaction_leaves_no_audit_event(db):
    request_id = await make_request(db)
    with pytest.raises(RuntimeError):
        async with db.transaction() as session:
            await transition(session, request_id, {S.DRAFT}, S.QUEUED, "U0ALICE")
            raise RuntimeError("crash before commit")
    async with db.session() as session:
        assert (await repo.get_request(session, request_id)).state == "draft"
        assert len(await repo.audit_events(session, request_id=request_id)) == 1


async def test_double_confirm_racing_has_exactly_one_effect(db):
    draft_id = await make_draft(db)
    results = await asyncio.gather(
        *(confirm(db, draft_id, "U0ALICE", roles_of(db)) for _ in range(5)),
        return_exceptions=True,
    )
    winners = [r for r in results if not isinstance(r, BaseException)]
    losers = [r for r in results if isinstance(r, BaseException)]
    assert len(winners) == 1 and winners[0].state is S.QUEUED
    assert all(isinstance(e, AlreadyHandled) for e in losers), losers
    assert "already submitted" in losers[0].message
    request_id = winners[0].id
    async with db.session() as session:
        transitions = [
            e
            for e in await repo.audit_events(session, request_id=request_id)
            if e.action == "transition"
        ]
    assert len(transitions) == 1


async def test_approve_and_reject_racing_have_one_winner(db):
    request_id = await make_request(db, RequestKind.CANCEL, S.AWAITING_APPROVAL)

    async def decide(new):
        async with db.transaction() as session:
            return await transition(session, request_id, {S.AWAITING_APPROVAL}, new, "U0SAM")

    results = await asyncio.gather(
        decide(S.QUEUED), decide(S.REJECTED), decide(S.QUEUED), return_exceptions=True
    )
    won = [r for r in results if r is not None and not isinstance(r, BaseException)]
    assert len(won) == 1, results
    assert all(r is None for r in results if r is not won[0]), results


def roles_of(db, **settings) -> Roles:
    return Roles(SimpleNamespace(settings=make_settings(None, db.url, **settings), db=db))


async def test_confirm_needs_the_requester_and_routes_to_approval(db):
    draft_id = await make_draft(db, RequestKind.CANCEL, needs_approval=True)
    with pytest.raises(NotAllowed, match="Only the person who prepared this request"):
        await confirm(db, draft_id, "U0BOB", roles_of(db))
    confirmed = await confirm(db, draft_id, "U0ALICE", roles_of(db))
    assert confirmed.state is S.AWAITING_APPROVAL


async def test_confirm_rechecks_the_drafters_role(db):
    draft_id = await make_draft(db, RequestKind.SEATS)
    staff_only = roles_of(db, csp_everyone_is_staff=False)
    with pytest.raises(NotAllowed, match="Sorry, changing seats is for staff"):
        await confirm(db, draft_id, "U0ALICE", staff_only)
    assert (await load_draft(db, draft_id)).request_id is None
    async with db.session() as session:
        assert await repo.requests_in_states(session, list(S)) == []

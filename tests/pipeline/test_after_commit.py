"""Events after commit: a move reaches the notifier only once its transaction committed, never
when it rolled back, and nobody outside the notifier schedules card updates by hand. Steps move
only as their table allows, through `move_step()`."""

from __future__ import annotations

import ast
import itertools
from pathlib import Path

import pytest

from bot.core.domain import RequestKind, RequestState, Role, StepAction, StepState
from bot.pipeline.transitions import (
    STEP_MOVES,
    Change,
    DraftSpec,
    IllegalStepMove,
    StepSpec,
    move_step,
    open_request,
    transition,
)
from store import requests as repo
from store.db import Database
from store.migrate import upgrade
from tests.conftest import ADA, ALICE, APPROVALS_CHANNEL, SAM
from tests.pipeline.scenario import approval_card, buttons, confirmed_cancellation, dms

ROOT = Path(__file__).resolve().parents[2]
S, St = RequestState, StepState


@pytest.fixture
async def db(tmp_path):
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'commit.db'}")
    await upgrade(database.engine)
    yield database
    await database.close()


async def draft(db) -> int:
    """A request in `draft`, as the first half of a Confirm leaves it."""
    async with db.transaction() as session:
        request = await open_request(session, DraftSpec(
            kind=RequestKind.SEATS, requester=ALICE, summary="E3 12 → 13", payload={},
            steps=[StepSpec(StepAction.CHANGE_QUANTITY, {"quantity": 13})], tenant="t1",
            subscription_id=7,
        ))  # fmt: skip
    return request.id


def heard(db) -> list[list]:
    """What the database's after-commit hook received, and what the row said at that time."""
    deliveries: list[list] = []

    async def hook(events):
        async with db.session() as session:  # another session: sees only what is committed
            states = [(await repo.get_request(session, e.request.id)).state for e in events]
        deliveries.append([(e, state) for e, state in zip(events, states, strict=True)])

    db.on_commit = hook
    return deliveries


async def test_a_move_is_delivered_once_its_transaction_committed(db):
    request_id = await draft(db)
    deliveries = heard(db)
    async with db.transaction() as session:
        await transition(session, request_id, {S.DRAFT}, S.QUEUED, ALICE, "confirmed")
        assert deliveries == []  # not before the commit
    [[(change, state_then)]] = deliveries
    assert isinstance(change, Change)
    assert (change.request.id, change.before, change.request.state, change.actor) == (
        request_id, S.DRAFT, S.QUEUED, ALICE
    )
    assert state_then == "queued"  # the hook reads the committed row


async def test_a_rolled_back_transaction_notifies_nothing(db):
    request_id = await draft(db)
    deliveries = heard(db)
    with pytest.raises(RuntimeError):
        async with db.transaction() as session:
            await transition(session, request_id, {S.DRAFT}, S.QUEUED, ALICE)
            raise RuntimeError("crash before commit")
    assert deliveries == []
    async with db.transaction() as session:  # the next transaction starts clean
        pass
    assert deliveries == []
    async with db.session() as session:
        assert (await repo.get_request(session, request_id)).state == "draft"


async def test_several_moves_of_one_transaction_arrive_together_in_order(db):
    first, second = await draft(db), await draft(db)
    deliveries = heard(db)
    async with db.transaction() as session:
        await transition(session, first, {S.DRAFT}, S.QUEUED, ALICE)
        await transition(session, second, {S.DRAFT}, S.AWAITING_APPROVAL, ALICE)
        await transition(session, first, {S.DRAFT}, S.QUEUED, ALICE)  # lost: not a change
    [batch] = deliveries
    assert [(c.request.id, c.request.state) for c, _ in batch] == [
        (first, S.QUEUED), (second, S.AWAITING_APPROVAL)
    ]


async def test_a_failing_hook_does_not_undo_the_commit(db):
    request_id = await draft(db)

    async def broken(events):
        raise RuntimeError("Slack is down")

    db.on_commit = broken
    async with db.transaction() as session:
        await transition(session, request_id, {S.DRAFT}, S.QUEUED, ALICE)
    async with db.session() as session:
        assert (await repo.get_request(session, request_id)).state == "queued"


async def test_a_decision_rolled_back_leaves_the_cards_and_the_requester_alone(
    bot, slack, emulator
):
    """Through the running bot: the decision's transaction fails after its move, so the
    approval card keeps its buttons and nobody gets a DM; the one that commits is seen."""
    runtime = bot.runtime
    await runtime.roles.grant(SAM, Role.SUPPORT, by=ADA)
    request = await confirmed_cancellation(bot, slack, emulator)
    updates = len(emulator.calls_of("chat.update"))
    with pytest.raises(RuntimeError):
        async with runtime.db.transaction() as session:
            await transition(session, request.id, {S.AWAITING_APPROVAL}, S.REJECTED, SAM, "no")
            raise RuntimeError("the decision's transaction fails")
    await runtime.notifier.settle()
    assert len(emulator.calls_of("chat.update")) == updates
    assert dms(emulator, ALICE) == []
    assert buttons(approval_card(emulator, APPROVALS_CHANNEL))

    async with runtime.db.transaction() as session:
        await transition(session, request.id, {S.AWAITING_APPROVAL}, S.REJECTED, SAM, "no")
    await runtime.notifier.settle()
    assert buttons(approval_card(emulator, APPROVALS_CHANNEL)) == []
    (dm,) = dms(emulator, ALICE)
    assert "rejected" in dm.all_text


# --- nobody schedules follow-ups by hand --------------------------------------------------

FOLLOW_UPS = {"request_changed", "request_changed_soon"}


def calls_of(path: Path, names: set[str]) -> list[int]:
    tree = ast.parse(path.read_text())
    return [node.lineno for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr in names]  # fmt: skip


def test_only_the_notifier_follows_up_a_change():
    found = {
        str(path.relative_to(ROOT)): lines
        for folder in ("bot", "handlers")
        for path in (ROOT / folder).rglob("*.py")
        if path.name != "notify.py" and (lines := calls_of(path, FOLLOW_UPS))
    }
    assert found == {}


# --- steps -----------------------------------------------------------------------------------


def test_the_step_table_names_every_state_and_a_done_step_never_moves():
    assert set(STEP_MOVES) == set(StepState)
    assert STEP_MOVES[St.DONE] == frozenset()
    assert St.SENDING in STEP_MOVES[St.PENDING] and St.PENDING not in STEP_MOVES[St.RUNNING]


async def test_every_step_move_is_allowed_or_refused_as_the_table_says(db):
    request_id = await draft(db)
    async with db.session() as session:
        (step,) = await repo.get_steps(session, request_id)
    for before, after in itertools.product(StepState, StepState):
        async with db.transaction() as session:
            await repo.update_step(session, step.id, list(StepState), {"state": before})
        allowed = after in STEP_MOVES[before]
        async with db.transaction() as session:
            if allowed:
                assert await move_step(session, step.id, {before}, after, {"error": "x"})
            else:
                with pytest.raises(IllegalStepMove):
                    await move_step(session, step.id, {before}, after)
        async with db.session() as session:
            (row,) = await repo.get_steps(session, request_id)
        assert row.state == (after if allowed else before), (before, after)


async def test_a_step_that_moved_meanwhile_is_left_alone(db):
    request_id = await draft(db)
    async with db.session() as session:
        (step,) = await repo.get_steps(session, request_id)
    async with db.transaction() as session:
        assert await move_step(session, step.id, {St.PENDING}, St.SENDING)
    async with db.transaction() as session:  # a second worker with the same old picture
        assert not await move_step(session, step.id, {St.PENDING}, St.SENDING)
    async with db.session() as session:
        (row,) = await repo.get_steps(session, request_id)
    assert row.state == "sending"

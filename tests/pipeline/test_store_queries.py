"""The SQL behind cards, reminders and lists, on SQLite and PostgreSQL: claims have one winner,
a reminder is recorded once, and the lists find exactly what they should."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.core.domain import RequestKind, StepAction
from bot.pipeline.transitions import DraftSpec, StepSpec, open_request
from store import leases as lease_sql
from store import requests as repo
from store.db import Database
from store.migrate import upgrade
from tests.conftest import ALICE, BOB

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
async def db(any_database_url):
    database = Database(any_database_url)
    await upgrade(database.engine)
    yield database
    await database.close()


async def make(db, state="awaiting_approval", *, requester=ALICE, deadline=None, **columns):
    async with db.transaction() as session:
        request = await open_request(session, DraftSpec(
            kind=RequestKind.CANCEL, requester=requester, summary="cancel", payload={},
            steps=[StepSpec(StepAction.DELETE_SUBSCRIPTION, {"subscription_id": 7})],
            subscription_id=7, needs_approval=True, deadline=deadline,
        ))  # fmt: skip
        await repo.update_fields(session, request.id, {"state": state, **columns})
    return request.id


async def row(db, request_id):
    async with db.session() as session:
        return await repo.get_request(session, request_id)


async def test_a_card_claim_has_one_winner_and_can_be_given_back(db):
    request_id = await make(db)
    before = (await row(db, request_id)).updated_at
    async with db.transaction() as session:
        assert await repo.claim_card(session, request_id, "card", "posting:1:a")
        assert not await repo.claim_card(session, request_id, "card", "posting:1:b")
        assert not await repo.store_card(session, request_id, "card", "posting:1:b", "C1", "1.1")
        await repo.release_card(session, request_id, "card", "posting:1:a")
        assert await repo.claim_card(session, request_id, "card", "posting:2:b")
        assert await repo.claim_card(session, request_id, "card", "posting:3:c",
                                     stale=["posting:2:b"])  # a dead poster's claim
        assert await repo.store_card(session, request_id, "card", "posting:3:c", "C1", "1.1")
        assert not await repo.claim_card(session, request_id, "card", "posting:4:d",
                                         stale=["posting:3:c"])
    found = await row(db, request_id)
    assert (found.card_channel, found.card_ts, found.approval_ts) == ("C1", "1.1", None)
    assert found.updated_at == before  # a card is not a change of the request


async def test_a_reminder_is_recorded_once(db):
    request_id = await make(db)
    async with db.transaction() as session:
        assert await repo.claim_reminder(session, request_id, 24, NOW)
        assert not await repo.claim_reminder(session, request_id, 24, NOW)
        assert await repo.claim_reminder(session, request_id, 4, NOW)
    async with db.transaction() as session:
        assert not await repo.claim_reminder(session, request_id, 24, NOW)
        await repo.release_reminder(session, request_id, 24)
    async with db.transaction() as session:
        assert await repo.claim_reminder(session, request_id, 24, NOW)


async def shown(db, request_id, *cards):
    """The cards show the request as it is now."""
    version = (await row(db, request_id)).updated_at
    async with db.transaction() as session:
        for which in cards:
            await repo.card_shown(session, request_id, which, version)
    return request_id


async def test_requests_missing_cards(db):
    draft = await make(db, "draft")
    fresh = await make(db, "queued")
    waiting_posted = await shown(db, await make(db, card_ts="1.1", approval_ts="1.2"),
                                 "card", "approval")  # fmt: skip
    waiting_unposted_approval = await shown(db, await make(db, card_ts="1.1"), "card")
    half_posted = await make(db, "running", card_ts="posting:1:x")
    done = await shown(db, await make(db, "done", card_ts="1.3"), "card")
    never_shown = await make(db, "done", card_ts="1.4")  # e.g. posted by an older version
    behind = await shown(db, await make(db, "running", card_ts="1.5"), "card")
    async with db.transaction() as session:
        await repo.update_fields(session, behind, {"state": "done"})  # Slack refused the update
    async with db.session() as session:
        found = {r.id for r in await repo.requests_missing_cards(session, NOW - timedelta(1))}
    assert found == {fresh, waiting_unposted_approval, half_posted, never_shown, behind}
    assert not {draft, waiting_posted, done} & found


async def test_a_card_never_goes_back_to_an_older_version_and_a_lease_is_no_change(db):
    request_id = await make(db, "running", card_ts="1.1")
    version = (await row(db, request_id)).updated_at
    async with db.transaction() as session:
        await repo.card_shown(session, request_id, "card", version)
        await repo.card_shown(session, request_id, "card", version - timedelta(seconds=5))
        assert await lease_sql.take_lease(session, request_id, "w1", NOW, NOW - timedelta(1))
        assert await lease_sql.renew_leases(session, [request_id], "w1", NOW) == {request_id}
        assert await lease_sql.hold_lease(session, request_id, "w1", NOW)
        assert await lease_sql.release_lease(session, request_id, "w1", NOW)
    found = await row(db, request_id)
    assert found.card_shown_at == version and found.updated_at == version


async def test_deadlines_and_decisions_lists(db):
    soon = await make(db, deadline=NOW + timedelta(hours=2))
    later = await make(db, deadline=NOW + timedelta(days=3), requester=BOB)
    await make(db)  # no deadline
    await make(db, "queued", deadline=NOW)  # decided already
    async with db.session() as session:
        due = await repo.awaiting_with_deadline_before(session, NOW + timedelta(hours=24))
        waiting = await repo.awaiting_decision(session, exclude_requester=ALICE)
        everyone = await repo.awaiting_decision(session)
    assert [r.id for r in due] == [soon]
    assert [r.id for r in waiting] == [later]
    assert [r.id for r in everyone][:2] == [soon, later]  # soonest deadline first
    assert len(everyone) == 3


async def test_requests_in_states_of_one_subscription(db):
    queued = await make(db, "queued")
    waiting = await make(db)
    await make(db, "done")  # not in the states asked for
    await make(db, "queued", subscription_id=8)  # another subscription
    await make(db, "queued", subscription_id=None)  # none at all (an order)
    async with db.session() as session:
        found = await repo.requests_in_states(
            session, ["queued", "awaiting_approval"], subscription_id=7)
        everywhere = await repo.requests_in_states(session, ["queued", "awaiting_approval"])
    assert [r.id for r in found] == [waiting, queued]  # newest first
    assert len(everywhere) == 4


async def test_audit_pages_and_the_last_move_into_a_state(db):
    first = await make(db)
    async with db.transaction() as session:
        for n in range(4):
            await repo.add_audit(session, request_id=first, subscription_id=7, actor=ALICE,
                                 action="transition", before_state="queued",
                                 after_state="running", note=str(n))
    async with db.session() as session:
        assert await repo.count_audit_events(session, subscription_id=7) == 5
        page = await repo.audit_events_page(session, subscription_id=7, offset=2, limit=2)
        last = await repo.last_transition_to(session, first, "running")
        nothing = await repo.last_transition_to(session, first, "done")
    assert [e.note for e in page] == ["1", "2"]
    assert last.note == "3" and nothing is None

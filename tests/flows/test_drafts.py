"""Drafts take no number: Review → Back → Review leaves nothing behind, Confirm numbers the
request, and drafts nobody confirmed are forgotten after a day."""

from __future__ import annotations

from datetime import timedelta

from bot.core.domain import RequestState
from bot.pipeline import transitions as pipeline
from bot.provider.sandbox_data import NORDWIND, NORDWIND_BASIC, NORDWIND_E3
from store import requests as repo
from store.models import DraftRow
from tests.conftest import ALICE, STAFF_CHANNEL
from tests.flows.conftest import open_modal, settle
from tests.flows.test_seats import form_values
from tests.slack_emulator import blocks_text


async def count_drafts(bot) -> int:
    from sqlalchemy import func, select

    async with bot.runtime.db.session() as session:
        return (await session.execute(select(func.count(DraftRow.id)))).scalar_one()


async def test_review_back_review_takes_one_number_and_leaves_no_trace(
    slack, emulator, bot, synced
):
    form = await open_modal(slack, emulator, "seats nordwind 480101")
    first = await slack.submit(form, form_values(NORDWIND_E3, 13))
    assert "Nothing is sent until you press *Confirm*" in blocks_text(first.view["blocks"])
    assert "Request R" not in blocks_text(first.view["blocks"])  # no number before Confirm
    # Back pops the confirmation; the person changes the number and reviews again
    await slack.back()
    second = await slack.submit(form, form_values(NORDWIND_E3, 14))

    async with bot.runtime.db.session() as session:
        assert await repo.recent_requests(session) == []
        assert await repo.audit_events(session) == []  # drafts are not in the audit trail
    listing = await slack.command("requests mine")
    assert "R1" not in listing.text and "R2" not in listing.text

    assert (await slack.submit(second.view)).json == {"response_action": "clear"}
    await settle(bot.runtime)
    async with bot.runtime.db.session() as session:
        [request] = await repo.recent_requests(session)
        events = await repo.audit_events(session)
    assert request.id == 1 and request.payload["after"] == 14
    assert {e.request_id for e in events} == {1}
    card = emulator.last_message(STAFF_CHANNEL)
    assert "R1" in card.all_text
    audit = await slack.command("audit R1")
    assert "R2" not in audit.text


async def test_the_next_request_takes_the_next_number_after_abandoned_drafts(
    slack, emulator, bot, synced
):
    form = await open_modal(slack, emulator, "seats nordwind 480101")
    for total in (13, 14, 15):
        if total != 13:
            await slack.back()
        review = await slack.submit(form, form_values(NORDWIND_E3, total))
    await slack.submit(review.view)
    form = await open_modal(slack, emulator, f"seats nordwind {NORDWIND_BASIC}")
    review = await slack.submit(form, form_values(NORDWIND_BASIC, 30))
    assert review.view is not None, review.body
    await slack.submit(review.view)
    async with bot.runtime.db.session() as session:
        numbers = sorted(r.id for r in await repo.recent_requests(session))
    assert numbers == [1, 2]


async def test_a_second_confirm_names_the_request_it_became(slack, emulator, bot, synced):
    form = await open_modal(slack, emulator, "seats nordwind 480101")
    review = await slack.submit(form, form_values(NORDWIND_E3, 13))
    await slack.submit(review.view)
    # the same Confirm delivered again (a double click, a redelivered envelope)
    again = await slack.submit(review.view, redelivered=True)
    assert "Request R1 was already submitted; nothing more was sent." in str(again.json)


async def test_drafts_nobody_confirmed_are_forgotten_after_a_day(
    slack, emulator, bot, clock, synced
):
    form = await open_modal(slack, emulator, "seats nordwind 480101")
    old = await slack.submit(form, form_values(NORDWIND_E3, 13))
    clock.advance(hours=23)
    await slack.back()
    recent = await slack.submit(form, form_values(NORDWIND_E3, 14))
    assert await pipeline.forget_old_drafts(bot.runtime.db, clock.now()) == 0
    clock.advance(hours=2)

    assert await pipeline.forget_old_drafts(bot.runtime.db, clock.now()) == 1
    assert await count_drafts(bot) == 1
    # the old confirmation, still open in another of the person's clients
    late = await slack.submit(old.view, user=ALICE, redelivered=True)
    assert "That confirmation has expired: open the form again" in str(late.json)
    # the one still kept confirms as usual
    assert (await slack.submit(recent.view)).json == {"response_action": "clear"}
    request = await pipeline.confirmed_request(bot.runtime.db, int(recent.view["private_metadata"]))
    assert request.state is RequestState.QUEUED and request.tenant == NORDWIND


async def test_the_drafts_loop_is_installed(bot):
    loop = next(loop for loop in bot.runtime.loops if loop.name == "drafts")
    assert loop.interval == timedelta(hours=1).total_seconds()


async def test_drafts_left_among_the_requests_by_older_versions_are_forgotten(bot, clock):
    from bot.core.domain import RequestKind
    from bot.pipeline.transitions import DraftSpec

    async with bot.runtime.db.transaction() as session:
        legacy = await pipeline.open_request(session, DraftSpec(
            kind=RequestKind.SEATS, requester=ALICE, summary="old draft", payload={},
        ))  # fmt: skip
        await repo.update_fields(session, legacy.id, {"created_at": clock.now()})
    clock.advance(days=2)
    assert await pipeline.forget_old_drafts(bot.runtime.db, clock.now()) == 1
    async with bot.runtime.db.session() as session:
        assert await repo.get_request(session, legacy.id) is None
        assert await repo.audit_events(session, request_id=legacy.id) == []

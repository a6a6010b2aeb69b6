"""Deadlines under the FakeClock: a late decision is refused and the request expires; overdue
requests expire by themselves; approvers are reminded in the card's thread, once per reminder."""

from __future__ import annotations

from datetime import timedelta

from bot.core.domain import RequestState, Role
from bot.core.ids import PipelineAction
from bot.pipeline.transitions import load
from store.models import ReminderRow
from tests.conftest import ADA, ALICE, SAM
from tests.pipeline.scenario import (
    approval_card,
    buttons,
    confirmed_cancellation,
    dms,
    loop,
    status_card,
    thread_replies,
    token,
)

S = RequestState


async def reminder_rows(runtime, request_id: int) -> set[int]:
    from sqlalchemy import select

    async with runtime.db.session() as session:
        rows = await session.execute(
            select(ReminderRow.hours_before).where(ReminderRow.request_id == request_id)
        )
        return set(rows.scalars())


async def test_a_decision_after_the_deadline_is_refused_and_the_request_expires(
    bot, slack, emulator, clock
):
    await bot.runtime.roles.grant(SAM, Role.SUPPORT, by=ADA)
    request = await confirmed_cancellation(bot, slack, emulator, deadline_in=timedelta(hours=30))
    approval = approval_card(emulator)
    clock.advance(hours=30, minutes=1)

    await slack.action(PipelineAction.APPROVE, value=str(request.id), user=SAM, message=approval)
    (told,) = emulator.calls_of("response_url")
    assert "deadline of request" in told["text"] and "It is now expired" in told["text"]
    assert buttons(approval) == [] and "Expired" in approval.all_text
    await bot.runtime.notifier.settle()
    request = await load(bot.runtime.db, request.id)
    assert request.state is S.EXPIRED
    assert "Expired" in status_card(emulator, request).all_text
    (dm,) = dms(emulator, ALICE)
    assert "expired" in dm.all_text and "Nothing was sent" in dm.all_text


async def test_overdue_requests_expire_once_with_one_message(bot, slack, emulator, clock):
    request = await confirmed_cancellation(bot, slack, emulator, deadline_in=timedelta(hours=30))
    deadlines = loop(bot, "deadlines")
    clock.advance(hours=29, minutes=59)
    await deadlines.run_once()
    assert (await load(bot.runtime.db, request.id)).state is S.AWAITING_APPROVAL

    clock.advance(minutes=1)
    await deadlines.run_once()
    await deadlines.run_once()
    await bot.runtime.notifier.settle()
    request = await load(bot.runtime.db, request.id)
    assert request.state is S.EXPIRED and request.decided_at == clock.now()
    approval = approval_card(emulator)
    assert buttons(approval) == [] and "Expired" in approval.all_text
    assert len(dms(emulator, ALICE)) == 1


async def test_no_refund_acknowledged_keeps_it_open_past_the_window(bot, slack, emulator, clock):
    await bot.runtime.roles.grant(SAM, Role.SUPPORT, by=ADA)
    request = await confirmed_cancellation(
        bot, slack, emulator, deadline_in=timedelta(hours=2),
        payload={"no_refund_acknowledged": True},
    )
    approval = approval_card(emulator)
    assert "accepted that this gets no refund" in approval.all_text
    clock.advance(hours=5)
    await loop(bot, "deadlines").run_once()
    assert (await load(bot.runtime.db, request.id)).state is S.AWAITING_APPROVAL

    await slack.action(PipelineAction.APPROVE, value=str(request.id), user=SAM, message=approval)
    assert (await load(bot.runtime.db, request.id)).state is S.QUEUED


async def test_reminders_go_once_each_in_the_approval_card_thread(bot, slack, emulator, clock):
    request = await confirmed_cancellation(bot, slack, emulator, deadline_in=timedelta(hours=30))
    card = approval_card(emulator)
    deadlines = loop(bot, "deadlines")
    await deadlines.run_once()
    assert thread_replies(emulator, card) == []

    clock.advance(hours=6, minutes=1)  # 23 h 59 min left
    await deadlines.run_once()
    await deadlines.run_once()
    (first,) = thread_replies(emulator, card)
    assert token(request.deadline) in first.all_text and "24 h left" in first.all_text

    clock.advance(hours=21)  # 2 h 59 min left
    await deadlines.run_once()
    await deadlines.run_once()
    first, second = thread_replies(emulator, card)
    assert token(request.deadline) in second.all_text and "3 h left" in second.all_text
    assert await reminder_rows(bot.runtime, request.id) == {24, 4}

    clock.advance(hours=3)
    await deadlines.run_once()
    assert len(thread_replies(emulator, card)) == 2
    assert (await load(bot.runtime.db, request.id)).state is S.EXPIRED


async def test_reminders_already_due_when_the_card_appears_are_not_sent(
    bot, slack, emulator, clock
):
    request = await confirmed_cancellation(bot, slack, emulator, deadline_in=timedelta(hours=3))
    await loop(bot, "deadlines").run_once()
    clock.advance(hours=1)
    await loop(bot, "deadlines").run_once()
    assert thread_replies(emulator, approval_card(emulator)) == []
    assert await reminder_rows(bot.runtime, request.id) == {24, 4}  # counted as given


async def test_a_reminder_slack_refused_goes_on_the_next_round(bot, slack, emulator, clock):
    request = await confirmed_cancellation(bot, slack, emulator, deadline_in=timedelta(hours=30))
    card = approval_card(emulator)
    clock.advance(hours=7)
    emulator.fail("chat.postMessage", "internal_error")
    await loop(bot, "deadlines").run_once()
    assert thread_replies(emulator, card) == []
    assert await reminder_rows(bot.runtime, request.id) == set()
    await loop(bot, "deadlines").run_once()
    await loop(bot, "deadlines").run_once()
    assert len(thread_replies(emulator, card)) == 1


async def test_reminder_hours_are_a_setting(bot, slack, emulator, clock):
    bot.runtime.settings.csp_reminder_hours = "48,1"
    request = await confirmed_cancellation(bot, slack, emulator, deadline_in=timedelta(hours=50))
    card = approval_card(emulator)
    clock.advance(hours=2, minutes=1)
    await loop(bot, "deadlines").run_once()
    clock.advance(hours=20)  # the default 24 h mark passes: nothing
    await loop(bot, "deadlines").run_once()
    clock.advance(hours=27)
    await loop(bot, "deadlines").run_once()
    first, second = thread_replies(emulator, card)
    assert "48 h left" in first.text and "1 h left" in second.text
    assert await reminder_rows(bot.runtime, request.id) == {48, 1}

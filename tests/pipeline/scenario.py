"""What the pipeline tests share: a cancellation drafted the way a flow drafts it, and the cards
as people see them in the emulator."""

from __future__ import annotations

from datetime import timedelta

from bot.core.blocks import date_token
from bot.core.domain import Request, RequestKind, StepAction
from bot.pipeline.confirmation import Confirmation, Deadline, prepare
from bot.pipeline.transitions import DraftSpec, StepSpec, confirmed_request, load, open_request
from bot.provider.sandbox_data import BELLAVISTA, BELLAVISTA_E5
from store import drafts as drafts_repo
from store import requests as repo
from tests.conftest import ALICE, APPROVALS_CHANNEL, STAFF_CHANNEL
from tests.slack_emulator import Message, SlackEmulator

#: BELLAVISTA_E5 was added 12 hours before the FakeClock's start: its window is 156 h long.
WINDOW_LEFT = timedelta(hours=156)


def cancellation_view_content(deadline) -> Confirmation:
    return Confirmation.of(
        "Confirm cancellation",
        {"Subscription": f"Office 365 E5 ({BELLAVISTA_E5})", "Seats": "2 → 0"},
        notes=["The refund is prorated by day."],
        deadlines=[Deadline("Cancellation window closes", deadline)],
        approvers="A support agent must approve cancellations.",
    )


async def draft_cancellation(
    runtime,
    *,
    requester: str = ALICE,
    deadline_in: timedelta = WINDOW_LEFT,
    origin: str | None = STAFF_CHANNEL,
    payload: dict | None = None,
    summary: str = "Cancel Office 365 E5 of Trattoria Bellavista",
):
    """A cancellation waiting to be confirmed: (request, the confirmation view to submit)."""
    deadline = runtime.clock.now() + deadline_in
    return await prepare(
        runtime.db,
        DraftSpec(
            kind=RequestKind.CANCEL,
            requester=requester,
            summary=summary,
            payload={"reason": "customer left", **(payload or {})},
            steps=[StepSpec(StepAction.DELETE_SUBSCRIPTION, {"subscription_id": BELLAVISTA_E5})],
            tenant=BELLAVISTA,
            subscription_id=BELLAVISTA_E5,
            needs_approval=True,
            deadline=deadline,
            origin_channel=origin,
        ),
        cancellation_view_content(deadline),
    )


async def stored_cancellation(runtime, state: str = "awaiting_approval", **kw) -> Request:
    """A cancellation as a Confirm stores it, put straight into `state` (for tests of what
    happens to a request after its Confirm, without Slack)."""
    draft, _view = await draft_cancellation(runtime, **kw)
    async with runtime.db.transaction() as session:
        row = await drafts_repo.get_draft(session, draft.id)
        request = await open_request(session, DraftSpec(
            kind=RequestKind(row.kind), requester=row.requester, summary=row.summary,
            payload=row.payload,
            steps=[StepSpec(StepAction(a), p) for a, p in row.steps],
            tenant=row.tenant, subscription_id=row.subscription_id,
            needs_approval=row.needs_approval, deadline=row.deadline,
            origin_channel=row.origin_channel,
        ))  # fmt: skip
        await repo.update_fields(session, request.id, {"state": state})
    return await load(runtime.db, request.id)


async def confirmed_cancellation(bot, slack, emulator, **kw) -> Request:
    """A cancellation confirmed through Slack, with its cards posted."""
    request, view = await draft_cancellation(bot.runtime, **kw)
    requester = kw.get("requester", ALICE)
    reply = await slack.submit(emulator.open_modal(view.to_dict(), user=requester), user=requester)
    assert reply.json == {"response_action": "clear"}, reply.body
    await bot.runtime.notifier.settle()
    return await confirmed_request(bot.runtime.db, request.id)


def approval_card(emulator: SlackEmulator, channel: str = APPROVALS_CHANNEL) -> Message:
    top = [m for m in emulator.messages[channel] if m.thread_ts is None and m.user is None]
    assert len(top) == 1, [m.text for m in top]
    return top[0]


def thread_replies(emulator: SlackEmulator, card: Message) -> list[Message]:
    return [m for m in emulator.messages[card.channel] if m.thread_ts == card.ts]


def status_card(emulator: SlackEmulator, request: Request) -> Message:
    return emulator.message(request.card_channel, request.card_ts)


def buttons(message: Message) -> list[str]:
    return [
        e["action_id"]
        for b in message.blocks
        if b["type"] == "actions"
        for e in b["elements"]
    ]


def dms(emulator: SlackEmulator, user: str) -> list[Message]:
    return emulator.messages[f"D{user}"]


def loop(bot, name: str):
    return next(loop for loop in bot.runtime.loops if loop.name == name)


def token(when) -> str:
    return date_token(when)

"""Staff at work, through Slack only: the requests the resilience tests make, each drafted and
confirmed with signed requests to the app (the emulator's driver), as people make them.

Nothing here reads the bot's memory or database: the same helpers drive the in-process bot of
the fault matrix and the `csp-bot serve` subprocesses of the kill suite. Each helper returns
the request id, read from the confirmation view's private_metadata (a draft id, nothing else).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.core.ids import (
    BlockId,
    CancelBlock,
    PipelineAction,
    SeatsBlock,
    SubscriptionChoiceBlock,
    TenantAction,
    TenantEditBlock,
)
from bot.orders.form import LineField, line_block
from tests.conftest import ALICE, APPROVALS_CHANNEL
from tests.slack_emulator import SlackDriver, SlackEmulator

SUBSCRIPTION = f"{SubscriptionChoiceBlock.SUBSCRIPTION}.0"


@dataclass(frozen=True)
class Made:
    """A confirmed request, the provider write it stands for, and what it changes."""

    request_id: int
    kind: str  # "seats", "order", "cancel", "tenant"
    op: str  # the sandbox operation that carries its effect
    tenant: str
    subscription: int | None = None
    value: int | str | None = None  # the seat total, the ordered license, the new city

    def applied(self, world, before) -> int:
        """How many times its effect is in the sandbox's world, compared with `before` (a
        copy of the world from before the requests): 0 or 1, or 2 for a duplicated create."""
        now, then = world.tenants[self.tenant], before.tenants[self.tenant]
        match self.kind:
            case "seats":
                return int(now.subscriptions[self.subscription].subscription.quantity
                           == self.value)  # fmt: skip
            case "cancel":
                return int(not now.subscriptions[self.subscription].live)
            case "tenant":
                return int(now.tenant.city == self.value)
        fresh = set(now.subscriptions) - set(then.subscriptions)
        return sum(1 for i in fresh if now.subscriptions[i].subscription.license_id == self.value)


def latest_view(emulator: SlackEmulator) -> dict:
    return emulator.views[max(emulator.views)]


async def modal(slack: SlackDriver, text: str, user: str = ALICE) -> dict:
    """Runs `/csp <text>` that opens a modal; returns the modal as Slack stores it."""
    before = len(slack.emulator.calls_of("views.open"))
    reply = await slack.command(text, user=user)
    assert reply.status == 200, reply.body
    assert len(slack.emulator.calls_of("views.open")) == before + 1, reply.text
    return latest_view(slack.emulator)


#: The number a confirmed draft was given (the confirmation names its draft, which has no
#: number until it is confirmed); the caller knows where the bot keeps it.
Numbering = Callable[[int], Awaitable[int]]


async def confirm(
    slack: SlackDriver, form: dict, values: dict, number: Numbering, user: str = ALICE
) -> int:
    """Submits the form, then Confirm on the pushed confirmation: the request id."""
    review = await slack.submit(form, values, user=user)
    assert review.view is not None, review.body
    done = await slack.submit(review.view, user=user)
    assert done.json == {"response_action": "clear"}, done.body
    return await number(int(review.view["private_metadata"]))


async def seat_change(
    slack: SlackDriver, tenant: str, subscription: int, total: int, number: Numbering
) -> Made:
    form = await modal(slack, f"seats {tenant} {subscription} {total}")
    values = {BlockId.TENANT: tenant, SUBSCRIPTION: subscription, SeatsBlock.NEW_TOTAL: total}
    made = await confirm(slack, form, values, number)
    return Made(made, "seats", "changeQuantity", tenant, subscription, total)


async def order(
    slack: SlackDriver, tenant: str, license_id: int, quantity: int, number: Numbering
) -> Made:
    form = await modal(slack, f"order {tenant}")
    values = {BlockId.TENANT: tenant, line_block(LineField.LICENSE, "1"): license_id,
              line_block(LineField.QUANTITY, "1"): str(quantity)}  # fmt: skip
    made = await confirm(slack, form, values, number)
    return Made(made, "order", "addSubscription", tenant, value=license_id)


async def cancellation(
    slack: SlackDriver, tenant: str, subscription: int, agent: str, number: Numbering,
    repair=None,
) -> Made:
    """Drafted, confirmed, and approved by `agent` from the approval card. `repair`: the bot's
    card repair, run when the card is slow to come (Slack refused it)."""
    form = await modal(slack, f"cancel {tenant} {subscription}")
    values = {BlockId.TENANT: tenant, SUBSCRIPTION: subscription,
              CancelBlock.REASON: "not_needed", CancelBlock.DETAILS: "The team moved on."}
    request_id = await confirm(slack, form, values, number)
    try:
        card = await approval_card(slack.emulator, request_id, wait=1.0 if repair else 10.0)
    except AssertionError:
        if repair is None:
            raise
        await repair()
        card = await approval_card(slack.emulator, request_id)
    reply = await slack.action(PipelineAction.APPROVE, value=str(request_id), user=agent,
                               message=card)  # fmt: skip
    assert reply.status == 200, reply.body
    return Made(request_id, "cancel", "deleteSubscription", tenant, subscription)


async def tenant_edit(slack: SlackDriver, tenant: str, city: str, number: Numbering) -> Made:
    details = await slack.command(f"tenant {tenant}")
    await slack.action(TenantAction.EDIT, value=tenant, message=slack.as_message(details))
    form = latest_view(slack.emulator)
    values = {b["block_id"]: b["element"].get("initial_value")
              for b in form["blocks"] if b["type"] == "input"}  # fmt: skip
    values[TenantEditBlock.CITY] = city
    made = await confirm(slack, form, values, number)
    return Made(made, "tenant", "updateTenant", tenant, value=city)


async def approval_card(emulator: SlackEmulator, request_id: int, wait: float = 10.0):
    """The approval card of a request; posted after the Confirm's answer, so waited for."""
    for _ in range(int(wait / 0.02)):
        for message in emulator.messages[APPROVALS_CHANNEL]:
            if message.user is None and f"R{request_id} " in message.text:
                return message
        await asyncio.sleep(0.02)
    raise AssertionError(f"no approval card for R{request_id}")

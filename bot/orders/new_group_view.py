"""What the status card says about a new license group's order: where it is (waiting for
payment with the order's link, being delivered, the group being made) and, once done, the new
group and its subscriptions. Pure: the step's result (bot/orders/delivery.py) in, blocks out.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from slack_sdk.models.blocks import ActionsBlock, Block, ButtonElement

from bot.core.blocks import context, escape, plain, section
from bot.core.domain import Request, RequestState, RequestStep, StepAction
from bot.core.i18n import _, ngettext
from bot.core.ids import BrowseAction, PipelineBlock
from bot.orders.delivery import Phase, order_words, phase_of
from bot.orders.form import OrderPayload
from bot.pipeline.cards import Card, card_link
from bot.tenants.browse import BrowseRef

#: A link Slack can show as is: http(s), nothing that ends or splits a mrkdwn link.
_SAFE_URL = re.compile(r"https?://[^\s<>|]{1,500}")
SUBSCRIPTIONS_SHOWN = 20
#: The longest text from OVHcloud a card shows (a status, a service name, a URL).
SHOWN_LIMIT = 200


def order_step(steps: Sequence[RequestStep]) -> RequestStep | None:
    """The step ordering a new license group, once it has been placed."""
    return next(
        (s for s in steps if s.action is StepAction.ORDER_TENANT and phase_of(s.result)),
        None,
    )


def waiting_for_payment(request: Request, steps: Sequence[RequestStep]) -> bool:
    step = order_step(steps)
    return (
        request.state is RequestState.RUNNING
        and step is not None
        and phase_of(step.result) is Phase.WAITING_PAYMENT
    )


def state_line(request: Request, steps: Sequence[RequestStep]) -> str | None:
    """The card's state line while the order waits for payment (None: the usual one)."""
    if waiting_for_payment(request, steps):
        return _(":credit_card: Waiting for payment: OVHcloud makes the license group once the "
                 "order is paid")  # fmt: skip
    return None


def state_short(request: Request, steps: Sequence[RequestStep]) -> str | None:
    return _("waiting for payment") if waiting_for_payment(request, steps) else None


def shown(value: Any, limit: int = SHOWN_LIMIT) -> str:
    """What OVHcloud returned, escaped and cut short enough for any card."""
    text = str(value)
    return escape(text if len(text) <= limit else text[: limit - 1] + "…")


def link(url: Any, text: str) -> str:
    """`url` as a link named `text`, or as plain escaped text when it is not a safe link."""
    url = str(url or "")
    if _SAFE_URL.fullmatch(url):
        return f"<{url}|{escape(text)}>"
    return shown(url)


def _where(result: dict[str, Any]) -> str:
    status = result.get("order_status")
    said = _(" (OVHcloud says “{status}”)", status=shown(status)) if status else ""
    match phase_of(result):
        case Phase.WAITING_PAYMENT:
            return _("waiting for payment") + said
        case Phase.DELIVERING if status == "checking":
            return _("OVHcloud is checking it") + said
        case Phase.DELIVERING if status == "documentsRequested":
            return _("OVHcloud asks for documents before it delivers: see the order in the "
                     "OVHcloud control panel") + said  # fmt: skip
        case Phase.DELIVERING if status:
            return _("OVHcloud is delivering it") + said
        case Phase.DELIVERING:  # no status to read: only the new group will tell
            return _("the new license group is awaited")
        case Phase.CREATING:
            return _("the license group is being made")
        case Phase.DELIVERED:
            return _("delivered")
        case Phase.CANCELLED:
            return _("cancelled by OVHcloud") + said
    return _("placed with OVHcloud")


def _subscriptions(request: Request, result: dict[str, Any]) -> str:
    names = {
        str(line.license_id): line.license_name
        for line in OrderPayload.of(request).lines
        if line.license_name
    }
    subs = [s for s in result.get("subscriptions") or [] if isinstance(s, dict)]
    shown = [
        _("`{id}` {license} × {n}", id=s.get("subscription_id"),
          license=escape(names.get(str(s.get("license_id")), _("license {id}",
                                                                  id=s.get("license_id")))),
          n=s.get("quantity"))
        for s in subs[:SUBSCRIPTIONS_SHOWN]
    ]  # fmt: skip
    if len(subs) > SUBSCRIPTIONS_SHOWN:
        shown.append(ngettext("and {n} more", "and {n} more", len(subs) - SUBSCRIPTIONS_SHOWN))
    return "\n".join(shown)


def order_blocks(request: Request, steps: Sequence[RequestStep]) -> list[Block]:
    """The order's part of the status card."""
    step = order_step(steps)
    if step is None:
        return []
    r = step.result or {}
    order = escape(order_words(r))
    if r.get("url"):
        order += " · " + link(r["url"], _("open it at OVHcloud"))
    lines = [_("*New license group order*: {order} — {where}", order=order, where=_where(r))]
    if r.get("service_name"):
        lines.append(_("*License group*: `{name}`", name=shown(r["service_name"])))
    subs = _subscriptions(request, r)
    if subs and phase_of(r) is Phase.DELIVERED:
        lines.append(_("*Subscriptions*:") + "\n" + subs)
    blocks: list[Block] = [section("\n".join(lines))]
    notes = []
    if r.get("order_id") is None:
        notes.append(_("OVHcloud gave the order no number: pay it in the OVHcloud control "
                       "panel if it waits for payment; the bot watches for the new license "
                       "group itself."))  # fmt: skip
    elif r.get("status_unreadable") and not r.get("service_name"):
        notes.append(
            _(
                "The bot may not read this order's status ({why}): it watches for the "
                "new license group itself.",
                why=shown(r["status_unreadable"]),
            )
        )
    if notes:
        blocks.append(context("\n".join(notes)))
    return blocks


def waiting_for_payment_news(request: Request, result: dict[str, Any]) -> Card:
    """Told once to the requester: the new license group's order waits for payment."""
    order = escape(order_words(result))
    if result.get("url"):
        where = link(result["url"], _("OVHcloud's order page"))
    else:
        where = _("the OVHcloud control panel")
    ref = f"*{request.ref}* ({escape(request.summary)})" if request.summary else request.ref
    text = _(
        ":credit_card: Your request {ref} is ordered and waits for payment: pay {order} at "
        "{where} and OVHcloud makes the license group. You will be told when it is ready.",
        ref=ref, order=order, where=where,
    )  # fmt: skip
    blocks: list[Block] = [section(text)]
    card = card_link(request)
    if card:
        words = _("Open the card")
        blocks.append(context(f"<{card}|{words}>"))
    return Card(text, blocks)


def created(request: Request, steps: Sequence[RequestStep]) -> tuple[str | None, list[int]]:
    """What a done request made: a new license group's service name, new subscription ids."""
    service = None
    ids: list[int] = []
    for step in steps:
        result = step.result or {}
        if step.action is StepAction.ORDER_TENANT and result.get("service_name"):
            service = str(result["service_name"])
        for key in ("subscription_id", "subscription_ids"):
            value = result.get(key)
            values = value if isinstance(value, list) else [value]
            ids += [int(v) for v in values if isinstance(v, int | str) and str(v).isdigit()]
    return service, ids


def created_blocks(request: Request, steps: Sequence[RequestStep]) -> list[Block]:
    """A done order names what it created, with the ways into it (`Details`, `Subscriptions`)."""
    if request.state is not RequestState.DONE:
        return []
    service, ids = created(request, steps)
    group = service or request.tenant
    lines: list[str] = []
    if service and order_step(list(steps)) is None:  # else the order's part of the card says it
        lines.append(_(":new: New license group `{name}`", name=escape(service)))
    if ids:
        lines.append(_(":new: New subscriptions: {ids}", ids=", ".join(f"`{i}`" for i in ids)))
    blocks: list[Block] = [section("\n".join(lines))] if lines else []
    if not (service or ids) or not group:
        return blocks
    return [
        *blocks,
        ActionsBlock(block_id=PipelineBlock.CREATED, elements=[
            ButtonElement(text=plain(_("Details")), action_id=BrowseAction.SHOW,
                          value=BrowseRef(v="tenant", t=group).encode()),
            # a second button of one block needs its own action id (the same listener)
            ButtonElement(text=plain(_("Subscriptions")), action_id=BrowseAction.SHOW_TASKS,
                          value=BrowseRef(v="subs", t=group).encode()),
        ]),
    ]

"""Ordering licenses: the form checked against the cache and the price book, then a draft.

Everything here reads the cache, never the provider: the modal opens, refreshes and submits
within Slack's 3 seconds, and the provider is only called by the worker, one step per line
(ADD_SUBSCRIPTION, ORDER_ADDON) or one ORDER_TENANT step for a new license group.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from slack_sdk.models.views import View

from bot import policy
from bot.core.domain import Draft, License, RequestKind, StepAction
from bot.core.errors import FormErrors
from bot.core.formats import number
from bot.core.i18n import _
from bot.core.ids import BlockId, OrderBlock
from bot.orders import new_group_view as new_group
from bot.orders.choices import Catalogue, GroupChoices, group_choices, new_group_catalogue
from bot.orders.confirmation_view import order_confirmation
from bot.orders.form import (
    ExistingGroupOrderForm,
    LineField,
    NewGroupOrderForm,
    OrderForm,
    OrderLine,
    OrderLinePayload,
    OrderPayload,
)
from bot.pipeline.confirmation import prepare
from bot.pipeline.kinds import KindSpec, register
from bot.pipeline.transitions import DraftSpec, StepSpec
from bot.reference.pricing import Money, PriceBook, describe, load_price_book
from store.cache import CachedSubscription

if TYPE_CHECKING:
    from bot.app.runtime import Runtime

SUMMARY_LIMIT = 300


# --- from the form to a draft ----------------------------------------------------------------


@dataclass(frozen=True)
class PricedLine:
    line: OrderLine
    license: License
    parent: CachedSubscription | None = None
    unit: Money | None = None

    @property
    def monthly(self) -> Money | None:
        return None if self.unit is None else self.unit.times(self.line.quantity)

    def step(self) -> StepSpec:
        if self.parent is not None:
            return StepSpec(
                StepAction.ORDER_ADDON,
                {
                    "parent_subscription_id": self.parent.id,
                    "license_id": self.license.id,
                    "quantity": self.line.quantity,
                },
            )
        return StepSpec(
            StepAction.ADD_SUBSCRIPTION,
            {"license_id": self.license.id, "quantity": self.line.quantity},
        )

    def text(self) -> str:
        # Translators: {n} licenses (seats) of the license {name}, e.g. "5 × Office 365 E3".
        what = _("{n} × {name}", n=number(self.line.quantity), name=self.license.name)
        if self.parent is not None:
            what += "\n" + _(
                "add-on of {license} ({id})",
                license=self.parent.license_name or self.parent.license_id,
                id=self.parent.id,
            )
        price = _(
            "{unit} per license · {total} a month",
            unit=describe(self.unit),
            total=describe(self.monthly),
        )
        return f"{what}\n{price}"

    def payload(self) -> OrderLinePayload:
        return OrderLinePayload(
            license_id=self.license.id,
            license_name=self.license.name,
            quantity=self.line.quantity,
            parent_subscription_id=self.parent.id if self.parent else None,
            unit_price=str(self.unit.amount) if self.unit else None,
        )


@dataclass
class OrderPlan:
    """A checked order: its priced lines and the words that go with it."""

    lines: list[PricedLine]
    group: str
    currency: str
    notes: list[str] = field(default_factory=list)

    @property
    def seats(self) -> int:
        return sum(p.line.quantity for p in self.lines)

    @property
    def monthly(self) -> Money | None:
        priced = [p.monthly for p in self.lines if p.monthly is not None]
        return sum(priced[1:], priced[0]) if priced else None

    @property
    def unpriced(self) -> int:
        return sum(1 for p in self.lines if p.unit is None)

    def summary(self) -> str:
        lines = ", ".join(
            _("{n} × {name}", n=number(p.line.quantity), name=p.license.name) for p in self.lines
        )
        text = _("Order for {group}: {lines}", group=self.group, lines=lines)
        return text if len(text) <= SUMMARY_LIMIT else text[: SUMMARY_LIMIT - 1] + "…"


def check_existing(
    form: ExistingGroupOrderForm, choices: GroupChoices | None, prices: PriceBook
) -> OrderPlan:
    """The order against the cache: group, licenses, limits, add-on parents. Raises FormErrors
    next to each field that is wrong."""
    if choices is None:
        raise FormErrors(
            {
                BlockId.TENANT: _(
                    "The bot doesn't know this license group (yet): pick one from the list, or run "
                    "`/csp sync` if it was created a moment ago."
                )
            }
        )
    group = choices.decision
    if not group.allowed:
        raise FormErrors({BlockId.TENANT: group.reason})
    if not form.lines:
        raise FormErrors(
            {
                BlockId.TENANT: _(
                    "Nothing can be ordered in {group} right now: every license is closed to new "
                    "subscriptions or at its limit.",
                    group=choices.label,
                )
                if not choices.offered()
                else _("Choose the licenses to order in {group}.", group=choices.label)
            }
        )
    errors: dict[str, str] = {}
    seats: dict[int, int] = {}
    priced = []
    for line in form.lines:
        lic = choices.license(line.license_id)
        before = seats.get(line.license_id, choices.seats_of(line.license_id))
        decision = policy.order_line(
            lic, line.quantity, before, choices.label, choices.seats_on_the_way(line.license_id)
        )
        parent = None
        if decision.allowed and lic is not None and lic.is_addon:
            decision = choices.addon_decision(lic, line.parent_subscription_id)
            parents = {p.id: p for p in choices.parents_for(lic)}
            parent = parents.get(line.parent_subscription_id or -1)
        if not decision.allowed or lic is None:
            errors.setdefault(line.block(LineField(decision.field or LineField.LICENSE)),
                              decision.reason)
            continue
        seats[line.license_id] = before + line.quantity
        priced.append(PricedLine(line, lic, parent, prices.monthly(lic.name)))
    if errors:
        raise FormErrors(errors)
    return OrderPlan(priced, choices.label, prices.currency, list(group.notes))


def check_new_group(form: NewGroupOrderForm, catalogue: Catalogue, prices: PriceBook) -> OrderPlan:
    if not form.lines:
        raise FormErrors(
            {
                OrderBlock.NOTE: _(
                    "No license can be chosen yet: run `/csp sync`, then open this form again."
                )
            }
        )
    errors: dict[str, str] = {}
    priced = []
    # Translators: fills {group} in the order rules' refusals ("… can't be ordered in {group}").
    label = _("the new license group")
    for line in form.lines:
        lic = catalogue.license(line.license_id)
        decision = policy.order_line(lic, line.quantity, 0, label)
        if not decision.allowed or lic is None:
            errors.setdefault(line.block(LineField(decision.field or LineField.LICENSE)),
                              decision.reason)
            continue
        priced.append(PricedLine(line, lic, None, prices.monthly(lic.name)))
    if errors:
        raise FormErrors(errors)
    group = form.display_name or f"{form.first_name} {form.last_name}"
    return OrderPlan(priced, _("{name} (new license group)", name=group), prices.currency)


async def draft_order(runtime: Runtime, form: OrderForm, actor: str) -> tuple[Draft, View]:
    """Checks an order against the cache and the price book, stores it as a draft, and
    returns the confirmation to push. Nothing is sent before the requester confirms."""
    await runtime.roles.require_drafter(actor, RequestKind.ORDER)
    settings = runtime.settings
    prices = load_price_book(settings)
    if isinstance(form, NewGroupOrderForm):
        plan = check_new_group(form, await new_group_catalogue(runtime), prices)
    else:
        plan = check_existing(form, await group_choices(runtime, form.tenant), prices)
    decision = policy.order_approval(
        plan.seats,
        plan.monthly,
        plan.unpriced,
        settings.csp_order_approval_seats,
        Decimal(str(settings.csp_order_approval_monthly_amount)),
    )
    deadline = None
    if decision.needs_approval and settings.csp_order_approval_hours:
        deadline = runtime.clock.now() + timedelta(hours=settings.csp_order_approval_hours)
    content = order_confirmation(form, plan, decision, deadline)
    payload = OrderPayload(
        lines=[p.payload() for p in plan.lines],
        currency=plan.currency,
        monthly_total=str(plan.monthly.amount) if plan.monthly else None,
        note=form.note,
    )
    if isinstance(form, NewGroupOrderForm):
        order = form.tenant_order()
        payload.new_group = order
        steps = [StepSpec(StepAction.ORDER_TENANT, {"order": order.model_dump(mode="json")})]
        tenant = None
    else:
        steps = [p.step() for p in plan.lines]
        tenant = form.tenant
    spec = DraftSpec(
        kind=RequestKind.ORDER,
        requester=actor,
        summary=plan.summary(),
        payload=payload.dump(),
        steps=steps,
        tenant=tenant,
        needs_approval=decision.needs_approval,
        deadline=deadline,
        origin_channel=form.meta.channel,
    )
    return await prepare(runtime.db, spec, content, now=runtime.clock.now())


SPEC = register(KindSpec(
    kind=RequestKind.ORDER,
    title=lambda: _("Order"),
    payload=OrderPayload,
    status_blocks=new_group.order_blocks,
    created_blocks=new_group.created_blocks,
    state_line=new_group.state_line,
    state_short=new_group.state_short,
))  # fmt: skip

__all__ = ["OrderPlan", "PricedLine", "check_existing", "check_new_group", "draft_order"]

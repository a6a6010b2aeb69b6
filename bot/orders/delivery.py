"""A new license group's order, from its checkout until the group exists at OVHcloud.

OVHcloud's checkout answers an order (`order.Order`, whose `orderId` and `url` may be null)
that names no service, and the group exists only once the order is paid and delivered. So the
order step keeps running after the checkout, and the worker looks at it again and again
(`follow`), keeping what it learns in the step's result, until the group and its
subscriptions are there. What it relies on:

- the order's status, `GET /me/order/{orderId}/status` (`billing.order.OrderStatusEnum` in
  OVHcloud's /me schema, UrielCh/api-ovh-node `code/gen/models/ovh-api/me.ts`): `notPaid` is
  waiting for payment; `cancelled` and `cancelling` end the order; every other value
  (`checking`, `delivering`, `delivered`, `documentsRequested`, `unknown`, or one the schema
  does not list) means it is under way. A null orderId, or a status the account may not read,
  leaves only the next clue:
- the new group: `GET /saas/csp2` compared with the groups listed before the checkout. Which
  new group is the order's is not published (inferred), so both readings are built for: the
  group an order detail's `domain` names (`GET /me/order/{orderId}/details/{id}`), else the
  one whose displayName or email is the order's; never one created before the order;
- the group is ready when no task runs on it, it is no longer `creating`, and every ordered
  licence has its subscription; a task of it that ends in error fails the step.

Nothing here writes to the provider: the checkout (`place`) is the one create, sent once. An
order that is cancelled fails the step; one that delivers nothing recognisable within
`CSP_ORDER_DELIVERY_DAYS` leaves it to a person (needs attention), never silently.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from bot.core.domain import NewTenantOrder, RequestStep, StepAction, StepState, Tenant
from bot.core.i18n import _, ngettext
from bot.provider.base import CspProvider, NotFound, ProviderError

log = logging.getLogger(__name__)

#: Statuses of `billing.order.OrderStatusEnum` that end an order without delivery.
CANCELLED = frozenset({"cancelled", "cancelling"})
NOT_PAID = "notPaid"
#: How far before the order a group's creationDate may be (clocks differ) and still be its.
CREATION_SLACK = timedelta(minutes=2)
#: New groups looked at per pass, and tasks of the new group remembered.
MAX_CANDIDATES = 20
MAX_TASKS = 10


class Phase(StrEnum):
    """Where the order is, as the step's result keeps it (and the card shows it)."""

    ORDERED = "ordered"  # checked out, not looked at yet
    WAITING_PAYMENT = "waiting_payment"
    DELIVERING = "delivering"  # paid, or its status unreadable: the group is awaited
    CREATING = "creating"  # the group exists; its subscriptions are on the way
    DELIVERED = "delivered"
    CANCELLED = "cancelled"  # OVHcloud cancelled the order: the step failed


class Outcome(StrEnum):
    WAIT = "wait"  # look again later
    DONE = "done"  # the group and its subscriptions are there
    FAILED = "failed"  # the order ended without a group
    UNKNOWN = "unknown"  # nothing recognisable in time: a person must check


@dataclass(frozen=True)
class Progress:
    """What a look at the order found: the step's result as it is now, what to do, the words
    when it ends, and whether the requester should be told it waits for payment (once)."""

    result: dict[str, Any]
    outcome: Outcome = Outcome.WAIT
    error: str | None = None
    tell_requester: bool = False


async def place(provider: CspProvider, order: NewTenantOrder) -> dict[str, Any]:
    """Checks the order out, after listing the groups it must not be mistaken for. Returns
    the step's result; every key is set, so a Retry's new order forgets the old one's."""
    try:
        known = await provider.list_tenants()
    except ProviderError as exc:
        exc.nothing_ordered = True
        raise
    placed = await provider.order_tenant(order)
    return {
        "phase": Phase.ORDERED.value,
        "order_id": placed.order_id,
        "url": placed.url,
        "domains": placed.domains,
        "known_groups": sorted(known),
        "placed_at": None,
        "order_status": None,
        "status_unreadable": None,
        "service_name": None,
        "subscriptions": None,
        "tasks": [],
        "tasks_checked": [],
        "payment_told": False,
        "candidates": None,
    }


def following(step: RequestStep) -> bool:
    """Whether `step` is an order the worker follows (rather than a provider task)."""
    return (
        step.action is StepAction.ORDER_TENANT
        and step.state is StepState.RUNNING
        and step.provider_task_id is None
        and (step.result or {}).get("phase") not in (None, Phase.DELIVERED, Phase.CANCELLED)
    )


def phase_of(result: dict[str, Any] | None) -> Phase | None:
    """The phase a step's result records; None before the order was placed."""
    phase = (result or {}).get("phase")
    try:
        return Phase(phase) if isinstance(phase, str) else None
    except ValueError:
        return None


async def follow(
    provider: CspProvider, step: RequestStep, now: datetime, delivery_days: int
) -> Progress:
    """One look at the order of `step`: reads only, never raises a provider error (a read
    that fails is tried again at the next look)."""
    result = dict(step.result or {})
    result["placed_at"] = result.get("placed_at") or now.isoformat()
    look = _Look(provider, NewTenantOrder.model_validate(step.params["order"]), result)
    late = now - datetime.fromisoformat(result["placed_at"]) > timedelta(days=delivery_days)
    try:
        progress = await (look.at_group() if result.get("service_name") else look.at_order())
    except ProviderError as exc:
        log.warning("cannot follow %s now: %s", order_words(result), exc)
        progress = Progress(result)
    if progress.outcome is Outcome.WAIT and late:
        return Progress(result, Outcome.UNKNOWN, late_error(result, delivery_days))
    return progress


class _Look:
    def __init__(self, provider: CspProvider, order: NewTenantOrder,
                 result: dict[str, Any]) -> None:
        self.provider, self.ordered, self.r = provider, order, result

    async def at_order(self) -> Progress:
        r = self.r
        status = await self.status()
        r["order_status"] = status
        if status in CANCELLED:
            r["phase"] = Phase.CANCELLED.value
            error = _(
                "OVHcloud cancelled {order} (status “{status}”): no license group was made. "
                "Retry places a new order.",
                order=order_words(r), status=status,
            )  # fmt: skip
            return Progress(r, Outcome.FAILED, error)
        if status == NOT_PAID:
            tell = not r.get("payment_told")
            r["phase"], r["payment_told"] = Phase.WAITING_PAYMENT.value, True
            return Progress(r, tell_requester=tell)
        r["phase"] = Phase.DELIVERING.value
        found = await self.find()
        if found is None:
            return Progress(r)
        r["service_name"], r["phase"], r["candidates"] = found, Phase.CREATING.value, None
        return await self.at_group()

    async def status(self) -> str | None:
        """The order's status; None when there is no order id, or the account may not read
        it (e.g. a key without rights on /me/order): then only the new group can tell."""
        r = self.r
        if r.get("order_id") is None or r.get("status_unreadable"):
            return None
        try:
            return await self.provider.order_status(int(r["order_id"]))
        except ProviderError as exc:
            if exc.retryable:
                raise
            r["status_unreadable"] = exc.message
            return None

    async def find(self) -> str | None:
        """The new group that is the order's, when one is and only one."""
        r, known = self.r, set(self.r.get("known_groups") or [])
        names = [n for n in await self.provider.list_tenants() if n not in known]
        if not names:
            return None
        tenants = await asyncio.gather(
            *(self.provider.get_tenant(n) for n in names[:MAX_CANDIDATES])
        )
        if r.get("order_id") is not None and not r.get("status_unreadable"):
            try:
                domains = await self.provider.order_domains(int(r["order_id"]))
            except ProviderError as exc:
                log.info("cannot read the details of %s: %s", order_words(r), exc)
            else:
                r["domains"] = list(dict.fromkeys([*(r.get("domains") or []), *domains]))
        placed_at = datetime.fromisoformat(r["placed_at"])
        best = ours(list(tenants), self.ordered, r.get("domains") or [], placed_at)
        r["candidates"] = best if len(best) > 1 else None
        return best[0] if len(best) == 1 else None

    async def at_group(self) -> Progress:
        r, service = self.r, self.r["service_name"]
        pending = await self.provider.list_tasks(service)
        r["tasks"] = list(dict.fromkeys([*(r.get("tasks") or []), *pending]))[:MAX_TASKS]
        checked = set(r.get("tasks_checked") or [])
        for task_id in [t for t in r["tasks"] if t not in pending and t not in checked]:
            try:
                task = await self.provider.get_task(service, task_id)
            except NotFound:  # a finished task may be forgotten: the subscriptions will say
                task = None
            if task is not None and task.status.finished and task.status != "done":
                error = _(
                    "OVHcloud task {task} ({function}) of the new license group {service} "
                    "ended with status {status}.",
                    task=task.id, function=task.function or "-", service=service,
                    status=task.status,
                )  # fmt: skip
                return Progress(r, Outcome.FAILED, error)
            checked.add(task_id)
        r["tasks_checked"] = sorted(checked)
        if pending:
            return Progress(r)
        tenant = await self.provider.get_tenant(service)
        subs = await self.provider.get_subscriptions(service)
        r["subscriptions"] = [
            {"subscription_id": s.id, "license_id": s.license_id, "quantity": s.quantity}
            for s in subs
        ]
        ordered = {line.license_id for line in self.ordered.licenses}
        if str(tenant.status) == "creating" or ordered - {s.license_id for s in subs}:
            return Progress(r)
        r["phase"] = Phase.DELIVERED.value
        return Progress(r, Outcome.DONE)


def ours(
    tenants: list[Tenant], order: NewTenantOrder, domains: list[str], placed_at: datetime
) -> list[str]:
    """The new groups that best match the order, by the order details' domain first, then by
    display name and email; none created before the order. More than one: it cannot tell."""
    since = placed_at - CREATION_SLACK
    fresh = [t for t in tenants if t.creation_date is None or t.creation_date >= since]
    named = [t.service_name for t in fresh if t.service_name in domains]
    if named:
        return named

    def score(t: Tenant) -> int:
        return int(_same(t.display_name, order.display_name)) + int(
            _same(t.email, order.contact.email)
        )

    top = max((score(t) for t in fresh), default=0)
    return [t.service_name for t in fresh if top and score(t) == top]


def _same(a: str | None, b: str | None) -> bool:
    return bool(a and b and a.strip().casefold() == b.strip().casefold())


# --- words -------------------------------------------------------------------------------------


def order_words(result: dict[str, Any]) -> str:
    order_id = result.get("order_id")
    if order_id is None:
        # Translators: fills {order} in the sentences about a new license group's order and
        # on its status card; "order" is the one placed with OVHcloud.
        return _("the order (OVHcloud gave it no number)")
    # Translators: {id} is OVHcloud's order number; fills {order} as the text above does.
    return _("order {id}", id=order_id)


def late_error(result: dict[str, Any], days: int) -> str:
    """Why the bot stopped watching an order that delivered nothing it recognises in time."""
    order = order_words(result)
    phase = result.get("phase")
    if phase == Phase.WAITING_PAYMENT:
        return ngettext(
            "The bot stopped watching {order}: it still waits for payment after {n} day. "
            "Pay it (or cancel it) in the OVHcloud control panel, then say here whether the "
            "license group was made.",
            "The bot stopped watching {order}: it still waits for payment after {n} days. "
            "Pay it (or cancel it) in the OVHcloud control panel, then say here whether the "
            "license group was made.",
            days, order=order,
        )  # fmt: skip
    if phase == Phase.CREATING:
        return ngettext(
            "The license group {service} of {order} is not ready after {n} day (it lacks "
            "subscriptions, or is still being created): check it in the OVHcloud control panel.",
            "The license group {service} of {order} is not ready after {n} days (it lacks "
            "subscriptions, or is still being created): check it in the OVHcloud control panel.",
            days, service=result.get("service_name"), order=order,
        )  # fmt: skip
    candidates = result.get("candidates") or []
    if candidates:
        return ngettext(
            "After {n} day the bot cannot tell which new license group is the one of "
            "{order}: it may be one of {groups}. Check the OVHcloud control panel.",
            "After {n} days the bot cannot tell which new license group is the one of "
            "{order}: it may be one of {groups}. Check the OVHcloud control panel.",
            days, order=order, groups=", ".join(candidates),
        )  # fmt: skip
    return ngettext(
        "After {n} day the bot finds no license group made by {order} (status “{status}”): "
        "check the OVHcloud control panel.",
        "After {n} days the bot finds no license group made by {order} (status “{status}”): "
        "check the OVHcloud control panel.",
        days, order=order, status=result.get("order_status") or _("unknown"),
    )  # fmt: skip

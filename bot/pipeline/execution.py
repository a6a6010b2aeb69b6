"""One step = one provider call: what each StepAction sends, how a step whose outcome was lost
is reconciled with what the provider shows, and what a finished step leaves behind.

No database here: `bot/pipeline/worker.py` decides when a step is sent and records every
answer. This module only knows the provider and the step parameters of docs/pipeline.md (ids
and numbers).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from bot.core.domain import (
    NewTenantOrder,
    ProviderTask,
    Request,
    RequestState,
    RequestStep,
    StepAction,
    StepState,
    Subscription,
    TenantUpdate,
)
from bot.core.i18n import _
from bot.orders import delivery as order_delivery
from bot.provider.base import (
    AuthenticationError,
    CspProvider,
    NotFound,
    ProviderError,
    RateLimited,
)

A = StepAction

#: Steps whose call can be repeated as is: changeQuantity carries a total, PUT a whole record.
IDEMPOTENT = frozenset({A.CHANGE_QUANTITY, A.UPDATE_TENANT,
                        # resent with the same MS-RequestIds, it gets the first result back
                        A.BUY_SOFTWARE})
#: Steps whose effect can be read back from the subscription before deciding to send again.
READABLE = frozenset({A.CHANGE_QUANTITY, A.DELETE_SUBSCRIPTION,
                      A.CANCEL_SOFTWARE})  # read back from the Partner Center order
#: Steps whose effect can be read back from the license group: a lost PUT whose values are
#: there is done, not sent again.
READABLE_TENANT = frozenset({A.UPDATE_TENANT})
#: Creates: a second call makes a second subscription (or order). Never sent twice blindly.
CREATES = frozenset({A.ADD_SUBSCRIPTION, A.ORDER_ADDON, A.ORDER_TENANT})
#: Steps compared with the live subscription before they are sent: a seat change's total was
#: computed from the count it was prepared on, so it is sent only while that count still holds.
COMPARED = frozenset({A.CHANGE_QUANTITY})
#: Creates whose result can be found among the group's subscriptions (by license and creation
#: time) when OVHcloud no longer answers for their task: some forget finished tasks at once.
FINDABLE = frozenset({A.ADD_SUBSCRIPTION, A.ORDER_ADDON})
#: Set in a create's result: when its task started (ISO 8601), the earliest its subscription
#: can have been created.
TASK_STARTED = "task_started"
#: Set in a step's result when it ended without our knowing whether its call reached OVHcloud
#: (the worker gave up waiting for an answer): a person's Retry then counts the step's own
#: total, found on the subscription, as done rather than as somebody else's change.
MAYBE_SENT = "maybe_sent"
#: Set in a scheduled step's result when nothing was sent because the subscription already
#: showed its effect: the seats it had (0: it was gone).
UNCHANGED = "unchanged"

#: How far before its task started a created subscription may claim to have been created
#: (the provider's clocks are not ours to trust to the second).
CREATION_SLACK = timedelta(minutes=2)
#: The longest wait between two attempts, however many failed.
BACKOFF_CAP_SECONDS = 3600.0


@dataclass(frozen=True)
class Sent:
    """The provider's answer to a step's call.

    `task_id` is the task to follow; None when the call itself finished the work (a tenant
    update), or when the worker follows the step another way (a new license group's order,
    bot/orders/delivery.py). `result` is what to remember.
    """

    task_id: int | None
    result: dict[str, Any] = field(default_factory=dict)


class Finding(StrEnum):
    """What the provider shows about a step that was (perhaps) sent by a worker that died."""

    SEND = "send"  # nothing happened yet, or sending again is harmless
    ADOPT = "adopt"  # a task is pending on the subscription: follow it
    DONE = "done"  # the effect is already there
    UNKNOWN = "unknown"  # a create: cannot tell, a person must check
    STALE = "stale"  # a seat change prepared on a count the subscription no longer has
    #: a change scheduled for the renewal whose effect is already there when its time comes:
    #: at or below its total, or cancelled already. Reported, nothing sent.
    ALREADY = "already"


@dataclass(frozen=True)
class Reconciled:
    finding: Finding
    task_id: int | None = None
    quantity: int | None = None  # the subscription's seats now, when a seat change is STALE


def service_of(request: Request, step: RequestStep) -> str:
    """The license group a step's task lives in: a new tenant's own, or the request's."""
    return (step.result or {}).get("service_name") or request.tenant or ""


def _subscription_of(request: Request, step: RequestStep) -> int:
    sid = step.params.get("subscription_id", request.subscription_id)
    if sid is None:
        raise ValueError(f"{request.ref} step {step.seq} names no subscription")
    return int(sid)


async def send(provider: CspProvider, request: Request, step: RequestStep) -> Sent:
    """Makes the one provider write of `step`. Provider errors propagate to the worker."""
    p, tenant = step.params, request.tenant or ""
    match step.action:
        case A.CHANGE_QUANTITY:
            sid = _subscription_of(request, step)
            task = await provider.change_quantity(tenant, sid, int(p["quantity"]))
        case A.ADD_SUBSCRIPTION:
            task = await provider.add_subscription(tenant, int(p["license_id"]), int(p["quantity"]))
        case A.ORDER_ADDON:
            task = await provider.order_addon(
                tenant, int(p["parent_subscription_id"]), int(p["license_id"]), int(p["quantity"])
            )
        case A.DELETE_SUBSCRIPTION:
            task = await provider.delete_subscription(tenant, _subscription_of(request, step))
        case A.UPDATE_TENANT:
            await provider.update_tenant(tenant, TenantUpdate.model_validate(p["update"]))
            return Sent(None)
        case A.ORDER_TENANT:  # followed until the group exists: bot/orders/delivery.py
            order = NewTenantOrder.model_validate(p["order"])
            return Sent(None, await order_delivery.place(provider, order))
        case _:  # pragma: no cover - StepAction is closed
            raise ValueError(f"unknown step action {step.action}")
    if step.action in FINDABLE and task.todo_date is not None:
        # kept so the subscription it creates can be found if OVHcloud forgets the task
        return Sent(task.id, {TASK_STARTED: task.todo_date.isoformat()})
    return Sent(task.id)


def task_started(step: RequestStep) -> datetime | None:
    """When the task of a create started, as recorded when it was sent (TASK_STARTED)."""
    raw = (step.result or {}).get(TASK_STARTED)
    try:
        return datetime.fromisoformat(raw) if raw else None
    except (TypeError, ValueError):
        return None


def maybe_sent(step: RequestStep) -> bool:
    """Whether an earlier call of this step may have reached OVHcloud (see MAYBE_SENT)."""
    return bool((step.result or {}).get(MAYBE_SENT))


async def reconcile(
    provider: CspProvider, request: Request, step: RequestStep, *, ours: bool = True
) -> Reconciled:
    """Decides what to do with a step left in `sending` (`ours`: it may or may not have
    reached the provider), or with a seat change about to be sent for the first time
    (`ours=False`: whatever the subscription shows, this step did not do it). Reads, never
    writes; NotFound on a change means the subscription is gone."""
    if step.action in CREATES:
        return Reconciled(Finding.UNKNOWN)
    if step.action in READABLE_TENANT and ours:
        return await _compare_tenant(provider, request, step)
    if step.action not in READABLE:
        return Reconciled(Finding.SEND)
    tenant, sid = request.tenant or "", _subscription_of(request, step)
    scheduled = request.run_at is not None
    try:
        sub = await provider.get_subscription(tenant, sid)
    except NotFound:
        if step.action is A.DELETE_SUBSCRIPTION and ours:
            return Reconciled(Finding.DONE)
        if step.action is A.DELETE_SUBSCRIPTION and scheduled:
            return Reconciled(Finding.ALREADY, quantity=0)
        raise
    if ours and sub.task_pending_id is not None:
        return Reconciled(Finding.ADOPT, sub.task_pending_id)
    if step.action is A.CHANGE_QUANTITY:
        return compare_seats(step, sub, ours=ours, scheduled=scheduled)
    return Reconciled(Finding.SEND)


async def _compare_tenant(provider: CspProvider, request: Request, step: RequestStep) -> Reconciled:
    """A tenant update whose answer was lost is done when the group already has every value it
    sets; otherwise it is sent again (a PUT of the same values is harmless)."""
    tenant = await provider.get_tenant(request.tenant or "")
    wanted = TenantUpdate.model_validate(step.params["update"]).model_dump(exclude_none=True)
    if all(getattr(tenant, name) == value for name, value in wanted.items()):
        return Reconciled(Finding.DONE)
    return Reconciled(Finding.SEND)


def compare_seats(step: RequestStep, sub: Subscription, *, ours: bool,
                  scheduled: bool = False) -> Reconciled:
    """The compare-and-set of a seat change. Its total (and the seats it records as added) was
    computed from `previous_quantity`, so it is sent only while the subscription still has
    that many seats: otherwise another change got there first (a second request confirmed on
    the same count, the control panel) and sending would set a total nobody chose. The total
    already there counts as done only when it may be this step's own lost call (`ours`).

    A decrease scheduled for the renewal (`scheduled`) is checked again when its time comes:
    a subscription already at or below its total is left as it is (ALREADY, reported)."""
    target = int(step.params["quantity"])
    if ours and sub.quantity == target:
        return Reconciled(Finding.DONE)
    if scheduled and sub.quantity <= target:
        return Reconciled(Finding.ALREADY, quantity=sub.quantity)
    before = step.params.get("previous_quantity")
    if before is not None and sub.quantity != int(before):
        return Reconciled(Finding.STALE, quantity=sub.quantity)
    return Reconciled(Finding.SEND)


async def read_tasks(
    provider: CspProvider, service_name: str, task_ids: list[int]
) -> dict[int, ProviderTask | None]:
    """The tasks by id, read in one batch; None for a task the provider no longer knows."""
    found = {t.id: t for t in await provider.get_tasks(service_name, task_ids)}
    tasks: dict[int, ProviderTask | None] = {}
    for task_id in task_ids:
        if task_id in found:
            tasks[task_id] = found[task_id]
            continue
        try:  # a batch answer can leave an id out for reasons of its own: ask once more
            tasks[task_id] = await provider.get_task(service_name, task_id)
        except NotFound:
            tasks[task_id] = None
    return tasks


# --- what a finished step leaves behind -------------------------------------------------------


async def created_subscriptions(
    provider: CspProvider,
    request: Request,
    step: RequestStep,
    task: ProviderTask | None,
    taken: set[int],
) -> dict[str, Any]:
    """Best effort: the id(s) of what a create made, found by listing the subscriptions of its
    license. Nothing when it cannot be told apart from another subscription (`taken` are ids
    other steps of the request already claimed)."""
    service, p = service_of(request, step), step.params
    if step.action not in CREATES or not service:
        return {}
    started = task.todo_date if task and task.todo_date else task_started(step)
    since = started - CREATION_SLACK if started else None

    def fresh(sub: Subscription) -> bool:
        if sub.id in taken:
            return False
        return since is None or sub.creation_date is None or sub.creation_date >= since

    try:
        if step.action is A.ORDER_TENANT:
            subs = [s for s in await provider.get_subscriptions(service) if fresh(s)]
            return {
                "subscriptions": [
                    {"subscription_id": s.id, "license_id": s.license_id, "quantity": s.quantity}
                    for s in subs
                ]
            }
        if step.action is A.ORDER_ADDON:
            ids = await provider.list_addon_subscriptions(service, int(p["parent_subscription_id"]))
            subs = await provider.get_subscriptions(service, ids) if ids else []
        else:
            subs = await provider.get_subscriptions(service)
    except ProviderError:
        return {}
    matches = [s for s in subs if s.license_id == int(p["license_id"]) and fresh(s)]
    if len(matches) > 1:  # same license twice in a short time: the quantity may tell them apart
        matches = [s for s in matches if s.quantity == int(p["quantity"])]
    return {"subscription_id": matches[0].id} if len(matches) == 1 else {}


def added_seats(
    request: Request, step: RequestStep, result: dict[str, Any]
) -> list[tuple[int, int]]:
    """(subscription id, seats) a finished step added: each starts its own reduction window."""
    p = step.params
    match step.action:
        case A.CHANGE_QUANTITY:
            added = int(p["quantity"]) - int(p.get("previous_quantity", p["quantity"]))
            return [(_subscription_of(request, step), added)] if added > 0 else []
        case A.ADD_SUBSCRIPTION | A.ORDER_ADDON if result.get("subscription_id"):
            return [(int(result["subscription_id"]), int(p["quantity"]))]
    # A new license group's subscriptions get their "creation" batches from sync: no request
    # of ours is under way on that group, so recording them here too would count them twice.
    return []


# --- words ------------------------------------------------------------------------------------


def line_license_name(request: Request | None, step: RequestStep) -> str | None:
    """The license name an order line was confirmed with (payload `lines[i].license_name`,
    the line of the step's own position first), or None when the request does not say.
    Steps carry ids only; the order's payload keeps the names people chose from."""
    if request is None or step.action not in (A.ADD_SUBSCRIPTION, A.ORDER_ADDON):
        return None
    lines = [line for line in (request.payload or {}).get("lines") or [] if isinstance(line, dict)]
    own = [lines[step.seq - 1]] if 0 < step.seq <= len(lines) else []
    wanted = str(step.params.get("license_id"))
    for line in [*own, *lines]:
        if str(line.get("license_id")) == wanted and line.get("license_name"):
            return str(line["license_name"])
    return None


def describe(step: RequestStep, request: Request | None = None) -> str:
    """A step as people read it in an error summary: the license's name when the request's
    payload has it (an order's lines), its id otherwise."""
    p = step.params
    name = line_license_name(request, step)
    match step.action:
        case A.CHANGE_QUANTITY:
            return _(
                "seats {before} → {after}",
                before=p.get("previous_quantity", "?"),
                after=p.get("quantity"),
            )
        case A.ADD_SUBSCRIPTION:
            return _(
                "new subscription of {license}, {n} seats",
                license=name or _("license {id}", id=p.get("license_id")),
                n=p.get("quantity"),
            )
        case A.ORDER_ADDON:
            return _(
                "add-on {license} on subscription {parent}, {n} seats",
                license=name or _("license {id}", id=p.get("license_id")),
                parent=p.get("parent_subscription_id"),
                n=p.get("quantity"),
            )
        case A.DELETE_SUBSCRIPTION:
            return _("cancellation of subscription {id}", id=p.get("subscription_id"))
        case A.ORDER_TENANT:
            name = (p.get("order") or {}).get("displayName") or _("a new customer")
            return _("new license group for {name}", name=name)
        case A.UPDATE_TENANT:
            return _("update of the license group's details")
    return str(step.action)  # pragma: no cover


# --- when a call fails ------------------------------------------------------------------------


class Remedy(StrEnum):
    """What a failed call leaves us to do."""

    LATER = "later"  # certainly not processed, or harmless to repeat: send again later
    RECONCILE = "reconcile"  # perhaps processed: read the subscription back before resending
    UNKNOWN = "unknown"  # a create that perhaps went through: a person must check
    FAILED = "failed"  # refused: a person reads why, and may retry


def remedy(step: RequestStep, exc: ProviderError) -> Remedy:
    """Sorts a failed call. A 429 was refused before anything happened, whatever the step; a
    timeout or 5xx may have been processed: a readable step is read back before it is sent
    again, an idempotent one is sent again, a create needs a person; 4xx answers are the
    provider's refusal."""
    if isinstance(exc, RateLimited) or exc.status == 429:
        return Remedy.LATER
    if not exc.retryable:
        return Remedy.FAILED
    if exc.nothing_ordered:  # e.g. the cart failed before its checkout
        return Remedy.LATER
    if step.action in READABLE or step.action in READABLE_TENANT:
        return Remedy.RECONCILE
    return Remedy.LATER if step.action in IDEMPOTENT else Remedy.UNKNOWN


def backoff(base: float, attempts: int, retry_after: float | None, jitter: float) -> timedelta:
    """Exponential from `base` seconds, capped at an hour, stretched by up to a quarter by
    `jitter` (0..1) so replicas hit by one outage spread their retries; never sooner than the
    provider's Retry-After."""
    delay = min(base * 2 ** (attempts - 1), BACKOFF_CAP_SECONDS) * (1 + jitter / 4)
    return timedelta(seconds=max(delay, retry_after or 0.0))


def _refused_field(step: RequestStep) -> str | None:
    """The part of the form a 400 on this step is about."""
    match step.action:
        case A.CHANGE_QUANTITY:
            return _("the new total")
        case A.ADD_SUBSCRIPTION:
            return _("the license and its quantity")
        case A.ORDER_ADDON:
            return _("the add-on, its quantity and the subscription it attaches to")
        case A.UPDATE_TENANT:
            return _("the details entered")
    return None


def refusal_error(step: RequestStep, exc: ProviderError) -> str:
    """OVHcloud's refusal of a step in plain words: its own `message` first (its query id is
    kept beside it), then what it is about and what a person can do."""
    said = exc.message.strip().rstrip(".") or _("no reason given")
    if exc.error_code == "NOT_GRANTED_CALL" or (exc.status == 403 and not exc.error_code):
        return _("{said}: the bot's OVHcloud API key may not do this. An admin should check "
                 "its rights.", said=said)  # a route outside the key's rights, or IAM
    if isinstance(exc, AuthenticationError):
        return _("{said} ({code}): OVHcloud refused the bot's API credentials. An admin should "
                 "run `csp-bot check`.", said=said, code=exc.error_code or exc.status)
    if exc.status == 409:
        return _("{said}. OVHcloud is busy with the subscription; Retry once its task is "
                 "done.", said=said)
    field = _refused_field(step) if exc.status == 400 else None
    if field:
        return _("{said}. Check {field}, then prepare the request again.", said=said, field=field)
    return said + "."


def unknown_error(step: RequestStep, cause: object, request: Request | None = None) -> str:
    return _(
        "OVHcloud did not answer clearly ({error}): the {what} may or may not have been "
        "created. Check the OVHcloud control panel; Retry re-sends it.",
        error=cause,
        what=describe(step, request),
    )


def stale_error(step: RequestStep, quantity: int | None) -> str:
    return _(
        "The subscription has {now} seats now, not {then} as when this change was prepared: "
        "prepare it again. Nothing was sent to OVHcloud.",
        now=quantity,
        then=step.params.get("previous_quantity"),
    )


def gave_up_error(attempts: int, exc: ProviderError) -> str:
    return _("OVHcloud kept failing ({n} attempts); the last error: {error}", n=attempts, error=exc)


def task_error(step: RequestStep, task: ProviderTask) -> str:
    return _(
        "OVHcloud task {task} ({function}) ended with status {status}.",
        task=task.id,
        function=task.function or step.action,
        status=task.status,
    )


def lost_task_error(step: RequestStep, request: Request | None = None) -> str:
    return _(
        "OVHcloud no longer knows task {task}: check the {what} in the control panel.",
        task=step.provider_task_id,
        what=describe(step, request),
    )


def outcome_of(
    steps: list[RequestStep], request: Request | None = None
) -> tuple[RequestState, str | None, str | None]:
    """The final state of a request whose steps have all ended, with the words for
    `requests.error` (line by line when there are several steps, named from `request`'s
    payload) and the first query id."""
    states = {s.state for s in steps}
    if StepState.UNKNOWN in states:
        state = RequestState.NEEDS_ATTENTION
    elif StepState.FAILED in states:
        state = RequestState.FAILED
    else:
        return RequestState.DONE, None, None
    troubled = [s for s in steps if s.state in (StepState.UNKNOWN, StepState.FAILED)]
    query_id = next((s.provider_query_id for s in troubled if s.provider_query_id), None)
    if len(steps) == 1:
        return state, steps[0].error or _("The provider refused the change."), query_id
    lines = []
    for step in steps:
        if step.state is StepState.DONE:
            what = _("done")
        elif step.state is StepState.FAILED:
            what = _("failed: {error}", error=step.error or _("no reason given"))
        else:
            what = step.error or _("outcome unknown")
        lines.append(
            _("Line {n} ({step}): {what}", n=step.seq, step=describe(step, request), what=what)
        )
    return state, "\n".join(lines), query_id

"""Pure rules: windows, limits, who may do what. No I/O, no clock reads (`now` is passed in).

A rule answers with a `Decision` that carries its own words, so the form, the confirmation and
the approval card all say the same thing.
"""

from __future__ import annotations

import calendar
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Protocol

from bot.domain import License, Request, RequestKind, RequestState, Role, Subscription
from bot.i18n import _, ngettext
from bot.ids import RefundBlock
from bot.pricing import Money
from bot.refund_form import RefundProduct, product_label
from bot.views.common import date_token


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reasons: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    deadline: datetime | None = None
    needs_approval: bool = False
    field: str | None = None  # the form field a refusal is about
    extra: dict = dataclass_field(default_factory=dict)

    @classmethod
    def allow(
        cls,
        *,
        notes: Collection[str] = (),
        deadline: datetime | None = None,
        needs_approval: bool = False,
        **extra,
    ) -> Decision:
        return cls(True, (), tuple(notes), deadline, needs_approval, None, extra)

    @classmethod
    def refuse(cls, reason: str, *, field: str | None = None, **extra) -> Decision:
        return cls(False, (reason,), (), None, False, field, extra)

    @property
    def reason(self) -> str:
        return " ".join(self.reasons)


def may_decide(request: Request, user_id: str, roles: Collection[Role], now: datetime) -> Decision:
    """Approve or reject: support agents only, never on their own request, before the deadline."""
    if Role.SUPPORT not in roles and Role.ADMIN not in roles:
        return Decision.refuse(_("Only support agents can approve or reject requests."))
    if request.requester == user_id:
        return Decision.refuse(
            _("You can't decide on your own request: another support agent has to.")
        )
    if request.state is not RequestState.AWAITING_APPROVAL:
        return Decision.refuse(
            _(
                "Request {ref} is no longer waiting for a decision (it is {state}).",
                ref=request.ref,
                state=request.state.value.replace("_", " "),
            )
        )
    if (
        request.deadline is not None
        and now >= request.deadline
        and not request.payload.get("no_refund_acknowledged")
    ):
        return Decision.refuse(
            _(
                "The deadline of request {ref} has passed: it can no longer be approved.",
                ref=request.ref,
            ),
            expired=True,
        )
    return Decision.allow()


def may_withdraw(request: Request, user_id: str) -> Decision:
    if request.requester != user_id:
        return Decision.refuse(_("Only the requester can withdraw a request."))
    if request.state is not RequestState.AWAITING_APPROVAL:
        return Decision.refuse(
            _("Request {ref} can only be withdrawn while it waits for approval.", ref=request.ref)
        )
    return Decision.allow()


# --- seat changes and cancellations (issues 7 and 8) ----------------------------------------


class SeatBatchLike(Protocol):
    """Seats added at one time (store.cache.SeatBatch); each has its own reduction window."""

    seats: int
    added_at: datetime


def utc_text(when: datetime) -> str:
    """A date for plain-text places (form errors cannot render Slack's date token)."""
    return when.astimezone(UTC).strftime("%a %d %b %Y, %H:%M UTC")


def add_months(when: datetime, months: int) -> datetime:
    """`when` plus whole calendar months, clamped to the month's last day (31 Jan + 1 = 28 Feb)."""
    index = when.month - 1 + months
    year, month = when.year + index // 12, index % 12 + 1
    day = min(when.day, calendar.monthrange(year, month)[1])
    return when.replace(year=year, month=month, day=day)


def next_renewal(term_start: datetime, now: datetime, term_months: int = 1) -> datetime:
    """The first renewal after `now` of a term that started at `term_start` (monthly unless
    the term is known): the earliest moment seats past their window can be removed."""
    k = 1
    while (renewal := add_months(term_start, k * term_months)) <= now:
        k += 1
    return renewal


def removable_seats(quantity: int, batches: Sequence[SeatBatchLike], at: datetime,
                    window: timedelta) -> int:
    """Seats that may be removed at `at`. Seats nobody recorded count as outside the window,
    and a batch whose seats were partly removed since may cover fewer seats than it says, so
    the count never exceeds what the subscription holds beyond its out-of-window seats."""
    inside = sum(b.seats for b in batches if b.added_at + window > at)
    outside = sum(b.seats for b in batches if b.added_at + window <= at)
    return max(0, min(inside, quantity - outside))


def reduction_deadline(quantity: int, batches: Sequence[SeatBatchLike], seats: int,
                       now: datetime, window: timedelta) -> datetime | None:
    """When removing `seats` stops being possible: the first batch deadline after which fewer
    than `seats` remain removable. None when they cannot be removed now."""
    if removable_seats(quantity, batches, now, window) < seats:
        return None
    for closing in sorted({b.added_at + window for b in batches if b.added_at + window > now}):
        if removable_seats(quantity, batches, closing, window) < seats:
            return closing
    return None  # pragma: no cover - the last window closing leaves nothing removable


def _changeable(sub: Subscription) -> Decision | None:
    """A subscription that is not active, or has an OVHcloud task running, refuses changes."""
    if sub.status.lower() != "active":
        return Decision.refuse(
            _("Subscription {id} is {status}: only an active subscription can be changed.",
              id=sub.id, status=sub.status),
            field="subscription",
        )
    if sub.task_pending_id is not None:
        return Decision.refuse(
            _("Subscription {id} has a change in progress at OVHcloud (task {task}); try again "
              "when it is done.", id=sub.id, task=sub.task_pending_id),
            field="subscription",
        )
    return None


def seat_change(
    sub: Subscription,
    lic: License,
    batches: Sequence[SeatBatchLike],
    new_total: int,
    now: datetime,
    window: timedelta,
    *,
    seats_elsewhere: int = 0,
    approval_above: int | None = None,
) -> Decision:
    """May `sub` go to `new_total` seats now?

    Adding needs `newSeatsAllowed` and stays within the license's `limit` in the group (its
    seats in other subscriptions, `seats_elsewhere`, count too). Removing is possible only for
    seats still inside their own reduction window (csp-policies.md). A decrease of more than
    `approval_above` seats needs a support agent's approval before the window closes.
    """
    refused = _changeable(sub)
    if refused is not None:
        return refused
    if new_total < 1:
        return Decision.refuse(
            _("A subscription keeps at least 1 seat; to remove them all, cancel it with "
              "`/csp cancel`."),
            field="new_total",
        )
    if new_total == sub.quantity:
        return Decision.refuse(
            _("Subscription {id} already has {n} seats: enter a different total.",
              id=sub.id, n=sub.quantity),
            field="new_total",
        )
    delta = new_total - sub.quantity
    if delta > 0:
        if not lic.new_seats_allowed:
            return Decision.refuse(
                _("{license} no longer accepts new seats (OVHcloud: newSeatsAllowed is off); "
                  "it can only be reduced.", license=lic.name),
                field="new_total",
            )
        if lic.limit is not None and new_total + seats_elsewhere > lic.limit:
            return Decision.refuse(
                _("{license} is limited to {limit} seats in this license group and {other} are "
                  "in other subscriptions: this one can have at most {most}.",
                  license=lic.name, limit=lic.limit, other=seats_elsewhere,
                  most=max(lic.limit - seats_elsewhere, 0)),
                field="new_total",
            )
        return Decision.allow(
            notes=[ngettext("The new seat can be removed again until {date}; after that, only "
                            "at a renewal.",
                            "The {n} new seats can be removed again until {date}; after that, "
                            "only at a renewal.", delta, date=date_token(now + window))],
            added=delta, removable_until=now + window,
        )
    removing = -delta
    removable = removable_seats(sub.quantity, batches, now, window)
    if removing > removable:
        hours = int(window.total_seconds() // 3600)
        renewal = next_renewal(sub.creation_date or now, now)
        if removable == 0:
            reason = _("No seats of subscription {id} can be removed now: Microsoft lets seats "
                       "go only within {hours} hours of when they were added.",
                       id=sub.id, hours=hours)
        else:
            reason = ngettext(
                "Only {n} seat of subscription {id} can be removed now (down to {floor}): "
                "Microsoft lets seats go only within {hours} hours of when they were added.",
                "Only {n} seats of subscription {id} can be removed now (down to {floor}): "
                "Microsoft lets seats go only within {hours} hours of when they were added.",
                removable, id=sub.id, floor=sub.quantity - removable, hours=hours)
        reason += " " + _("The other {rest} can be removed at the subscription's renewal, on "
                          "{date} at the earliest.", rest=removing - removable,
                          date=utc_text(renewal))
        return Decision.refuse(reason, field="new_total", removable=removable,
                               earliest=renewal)
    deadline = reduction_deadline(sub.quantity, batches, removing, now, window)
    needs_approval = approval_above is not None and removing > approval_above
    notes = [ngettext("Microsoft credits the removed seat pro rata on the next invoice.",
                      "Microsoft credits the {n} removed seats pro rata on the next invoice.",
                      removing)]
    if deadline is not None:
        notes.append(_("These seats can be removed only until {date}; later they stay until "
                       "the renewal.", date=date_token(deadline)))
    if needs_approval:
        notes.append(_("Removing more than {n} seats needs a support agent's approval before "
                       "that date.", n=approval_above))
    return Decision.allow(notes=notes, deadline=deadline, needs_approval=needs_approval,
                          removed=removing)


def cancellation(
    sub: Subscription,
    term_start: datetime,
    now: datetime,
    window: timedelta,
    *,
    addon_names: Sequence[str] = (),
    no_refund_acknowledged: bool = False,
    addons_acknowledged: bool = False,
) -> Decision:
    """May `sub` be cancelled, and on what terms?

    Cancelling always needs a support agent's approval, before the cancellation window closes
    (`term_start` + `window`): that is the deadline. Past it, Microsoft refunds nothing and
    bills the full term, so the requester must say they know (`no_refund_acknowledged`); the
    request then has no expiry. Add-ons go with their subscription: that is acknowledged too.
    """
    refused = _changeable(sub)
    if refused is not None:
        return refused
    closes = term_start + window
    window_open = now < closes
    if not window_open and not no_refund_acknowledged:
        return Decision.refuse(
            _("The cancellation window of subscription {id} closed on {date}: Microsoft gives "
              "no refund and bills the customer for the full term. Tick the box to cancel "
              "anyway.", id=sub.id, date=utc_text(closes)),
            field="acknowledge", window_open=False,
        )
    if addon_names and not addons_acknowledged:
        return Decision.refuse(
            _("These add-ons are cancelled with it: {names}. Tick the box to confirm.",
              names=", ".join(addon_names)),
            field="acknowledge",
        )
    notes = [_("All {n} licenses are removed at once and for good: the customer's users lose "
               "access immediately.", n=sub.quantity)]
    if addon_names:
        notes.append(_("Its add-ons are cancelled too: {names}.", names=", ".join(addon_names)))
    if window_open:
        notes.append(_("The cancellation window closes {date}: if nobody approves by then, the "
                       "request expires.", date=date_token(closes)))
    else:
        notes.append(_("The cancellation window closed {date}: no refund, the customer is billed "
                       "for the full term.", date=date_token(closes)))
    return Decision.allow(notes=notes, deadline=closes, needs_approval=True,
                          window_open=window_open, window_closes=closes)


# --- orders (issue 6) ------------------------------------------------------------------------

#: Subscription states that cannot take an add-on (the API publishes no list: lenient).
_NO_ADDON_STATES = frozenset({"deleted", "disabled", "expired", "suspended"})


def order_group(status: str, label: str, mpn_issue_flag: str | None = None) -> Decision:
    """Licenses can be ordered only in a license group that is up and running."""
    if status != "ok":
        return Decision.refuse(
            _("{group} is {status} right now: no licenses can be ordered in it.",
              group=label, status=status),
            field="tenant",
        )
    notes = []
    if mpn_issue_flag:
        notes.append(_("OVHcloud reports an MPN issue on {group} ({flag}): Microsoft may refuse "
                       "the order until the MPN ID is fixed.", group=label, flag=mpn_issue_flag))
    return Decision.allow(notes=notes)


def order_line(lic: License | None, quantity: int, seats_before: int, group: str) -> Decision:
    """May `quantity` seats of `lic` be ordered in a group that already has `seats_before`
    seats of it (its subscriptions plus the earlier lines of the same order)?
    `lic` is None when the group does not offer the license at all."""
    if lic is None:
        return Decision.refuse(
            _("This license can't be ordered in {group}: choose one from the list.", group=group),
            field="license",
        )
    if not lic.new_subscriptions_allowed:
        return Decision.refuse(
            _("{name} is closed to new subscriptions in {group}; existing ones can still "
              "change seats.", name=lic.name, group=group),
            field="license",
        )
    if lic.limit is not None and seats_before + quantity > lic.limit:
        left = max(lic.limit - seats_before, 0)
        return Decision.refuse(
            _("{name} is limited to {limit} licenses in {group}, which has {have}: at most "
              "{left} more can be ordered.",
              name=lic.name, limit=lic.limit, group=group, have=seats_before, left=left),
            field="quantity",
        )
    return Decision.allow()


def addon_parents(
    addon: License, subscriptions: Sequence[Subscription], licenses: dict[int, License],
    parent_of: dict[int, int | None],
) -> list[Subscription]:
    """The subscriptions an add-on may be attached to, from what the cache knows.

    OVHcloud answers this per subscription (`availableAddonLicenses`), which is a provider call
    and cannot run while Slack waits; the cache knows only license types, so an add-on may go on
    any live subscription of a main (non add-on) license that is not itself an add-on. The
    provider has the last word when the line is sent.
    """
    if not addon.is_addon:
        return []
    out = []
    for sub in subscriptions:
        lic = licenses.get(sub.license_id)
        if parent_of.get(sub.id) is not None or (lic is not None and lic.is_addon):
            continue
        if sub.status.lower() in _NO_ADDON_STATES:
            continue
        out.append(sub)
    return out


def addon_line(addon: License, parent_id: int | None, allowed: Collection[int]) -> Decision:
    """An add-on is ordered on a parent subscription of the same group (`allowed`: ids)."""
    if parent_id is None and allowed:
        return Decision.refuse(
            _("{name} is an add-on: choose the subscription it attaches to.", name=addon.name),
            field="parent",
        )
    if not allowed:
        return Decision.refuse(
            _("{name} is an add-on, and no subscription of this group can take it: order a "
              "main license first.", name=addon.name),
            field="license",
        )
    if parent_id not in allowed:
        return Decision.refuse(
            _("{name} can't be attached to subscription {id}: choose one of the group's main "
              "subscriptions.", name=addon.name, id=parent_id),
            field="parent",
        )
    return Decision.allow()


def order_approval(seats: int, monthly: Money | None, unpriced_lines: int,
                   seat_threshold: int, amount_threshold: Decimal) -> Decision:
    """Large orders wait for a support agent: more than `seat_threshold` licenses, or more
    than `amount_threshold` a month (priced lines only; an unknown price is never a guess)."""
    reasons = []
    if seats > seat_threshold:
        reasons.append(_("{n} licenses (more than {limit})", n=seats, limit=seat_threshold))
    if monthly is not None and monthly.amount > amount_threshold:
        reasons.append(_("{amount} a month (more than {limit} {currency})", amount=monthly,
                         limit=f"{amount_threshold:,.2f}", currency=monthly.currency))
    notes = []
    if reasons:
        notes.append(_("A support agent must approve this order before it is sent: {why}.",
                       why=_(" and ").join(reasons)))
    if unpriced_lines:
        notes.append(ngettext(
            "{n} line has no price in the price book: the monthly total leaves it out.",
            "{n} lines have no price in the price book: the monthly total leaves them out.",
            unpriced_lines))
    return Decision.allow(notes=notes, needs_approval=bool(reasons))


# --- refund tickets (issue 9) ----------------------------------------------------------------


@dataclass(frozen=True)
class RefundWindows:
    """How long after a purchase Microsoft refunds it, per product type (settings, in days)."""

    perpetual_days: int
    software_subscription_days: int
    license_days: int

    @classmethod
    def from_settings(cls, settings) -> RefundWindows:
        return cls(
            settings.csp_refund_window_perpetual_days,
            settings.csp_refund_window_software_subscription_days,
            settings.csp_refund_window_license_days,
        )

    def days(self, product: RefundProduct) -> int:
        return {
            RefundProduct.PERPETUAL: self.perpetual_days,
            RefundProduct.SOFTWARE_SUBSCRIPTION: self.software_subscription_days,
            RefundProduct.LICENSE: self.license_days,
        }[product]


def refund_window_end(purchased_on: date, days: int) -> datetime:
    """When the refund window of a purchase closes.

    Partner Center dates are UTC and a ticket has the purchase day, not its hour: the window is
    counted from the start of that day, the earliest the purchase can have been made, so the
    bot never calls a purchase "inside the window" that Microsoft may see outside it.
    """
    return datetime.combine(purchased_on, datetime.min.time(), UTC) + timedelta(days=days)


def admin_agent_note() -> str:
    """Microsoft lets only admin agents cancel software purchases (csp-policies.md)."""
    return _("The upstream request must be filed in Partner Center by someone with the *admin "
             "agent* role (type “CSP Purchase/Refund on behalf of customers”).")


def refund_ticket(
    product: RefundProduct,
    purchased_on: date,
    now: datetime,
    windows: RefundWindows,
    *,
    acknowledged: bool = False,
) -> Decision:
    """May this refund ticket be opened, and what must the approver know?

    Every ticket waits for a support agent. Outside the refund window Microsoft may refuse
    the refund, so the requester must say they know (`acknowledged`), and the approval card
    flags it (`extra["outside_window"]`). The window end is shown, never used as an expiry:
    a refund ticket is a request to a person, who may still try.
    """
    days = windows.days(product)
    closes = refund_window_end(purchased_on, days)
    outside = now >= closes
    kind = product_label(product).lower()
    if outside and not acknowledged:
        return Decision.refuse(
            _("This purchase is outside the {days}-day refund window for {kind} (it closed on "
              "{date}): Microsoft may refuse the refund. Tick the box to file the ticket anyway.",
              days=days, kind=kind, date=utc_text(closes)),
            field=RefundBlock.ACKNOWLEDGE, outside_window=True, window_closes=closes,
        )
    if outside:
        notes = [_("Outside the refund window: the {days}-day window for {kind} closed {date}. "
                   "The requester acknowledged that Microsoft may refuse the refund; the "
                   "approver sees this flag.", days=days, kind=kind, date=date_token(closes))]
    else:
        notes = [_("Inside the refund window: the {days}-day window for {kind} closes {date}; "
                   "the upstream request should be filed before then.",
                   days=days, kind=kind, date=date_token(closes))]
    if product is RefundProduct.PERPETUAL:
        notes.append(_("Perpetual software cancelled in the window is credited in full; the "
                       "software key is revoked once the cancellation is done."))
    elif product is RefundProduct.LICENSE:
        notes.append(_("License-based subscriptions are refunded prorated by the day: Microsoft "
                       "credits the unused part of the term, not the whole amount."))
    notes.append(admin_agent_note())
    return Decision.allow(notes=notes, needs_approval=True, outside_window=outside,
                          window_closes=closes, window_days=days)


class RefundStep(StrEnum):
    """What a support agent does to a refund ticket besides approving or rejecting it."""

    CLAIM = "claim"
    FILE = "file"
    RESOLVE = "resolve"


_REFUND_STEP_STATES = {
    RefundStep.CLAIM: frozenset(
        {RequestState.AWAITING_APPROVAL, RequestState.APPROVED, RequestState.FILED}
    ),
    RefundStep.FILE: frozenset({RequestState.APPROVED}),
    RefundStep.RESOLVE: frozenset({RequestState.FILED}),
}


def may_handle_refund(
    request: Request, user_id: str, roles: Collection[Role], step: RefundStep
) -> Decision:
    """Claim, mark filed, mark resolved: support agents only, never on their own ticket, and
    only the agent who claimed it (or an admin) once it is claimed."""
    if request.kind is not RequestKind.REFUND:
        return Decision.refuse(_("Request {ref} is not a refund ticket.", ref=request.ref))
    if Role.SUPPORT not in roles and Role.ADMIN not in roles:
        return Decision.refuse(_("Only support agents can take refund tickets along."))
    if request.requester == user_id:
        return Decision.refuse(
            _("You opened refund ticket {ref}: another support agent has to handle it.",
              ref=request.ref)
        )
    if request.state not in _REFUND_STEP_STATES[step]:
        return Decision.refuse(
            _("Refund ticket {ref} is {state}: that can't be done now.",
              ref=request.ref, state=request.state.value.replace("_", " "))
        )
    if request.assignee is not None and request.assignee != user_id:
        if step is RefundStep.CLAIM or Role.ADMIN not in roles:
            return Decision.refuse(
                _("Refund ticket {ref} is claimed by <@{agent}>.", ref=request.ref,
                  agent=request.assignee)
            )
    if step is RefundStep.CLAIM and request.assignee == user_id:
        return Decision.refuse(_("Refund ticket {ref} is already yours.", ref=request.ref))
    return Decision.allow()

"""Changing the seat count of a subscription: form → rule → draft with its
confirmation. No Slack calls here; the listener in `handlers/seats.py` only plumbs.

OVHcloud's changeQuantity takes the new TOTAL, which is what the person types and what the one
step of the request carries (`CHANGE_QUANTITY {"quantity", "previous_quantity"}`); the worker
sends it, follows the task to its end and records added seats as a new batch.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from slack_sdk.models.views import View

from bot import policy
from bot.core.blocks import escape
from bot.core.domain import Draft, RequestKind, StepAction
from bot.core.errors import FormErrors
from bot.core.formats import MINUS, join_list, number
from bot.core.i18n import _, ngettext
from bot.core.ids import SeatsAction, SeatsBlock
from bot.core.numbers import NumberError, Problem, parse_whole, signed
from bot.pipeline.confirmation import Confirmation, Deadline, prepare
from bot.pipeline.kinds import KindPayload, KindSpec, register
from bot.pipeline.transitions import DraftSpec, StepSpec
from bot.policy.decision import SeatDecision
from bot.reference.pricing import PriceBook, describe, load_price_book
from bot.reference.terms import load_term_book
from bot.seats.views import schedule_block_id
from bot.slack.state import ViewState
from bot.tenants.subscription_choice import (
    ChoiceRef,
    Prefill,
    SubscriptionFacts,
    chosen_or_errors,
    facts_to_change,
    quoted,
)
from bot.terms.views import scheduled_words, term_words

if TYPE_CHECKING:
    from bot.app.runtime import Runtime

#: Which block of the seat modal a refusal of `policy.seat_change` is about.
FIELD_BLOCKS = {"new_total": SeatsBlock.NEW_TOTAL}


@dataclass(frozen=True)
class SeatForm:
    """The seat modal, submitted: a subscription and the new total it should have."""

    ref: ChoiceRef
    tenant: str
    subscription_id: int
    new_total: int
    #: The "Schedule for the renewal" block the modal showed, if any, and whether it was ticked.
    schedule_block: str | None = None
    at_renewal: bool = False

    @classmethod
    def from_view(cls, view: Mapping[str, Any]) -> SeatForm:
        ref = ChoiceRef.of(view)
        state = ViewState.of(view)
        errors: dict[str, str] = {}
        tenant, subscription_id = chosen_or_errors(
            state, ref, errors, missing=_("Choose the subscription to change.")
        )
        new_total = None
        try:
            new_total = parse_whole(state.text(SeatsBlock.NEW_TOTAL, SeatsAction.NEW_TOTAL))
        except NumberError as exc:
            errors[SeatsBlock.NEW_TOTAL] = (
                _("That is more seats than any subscription holds (at most {n}).",
                  n=number(exc.maximum))
                if exc.problem is Problem.TOO_LARGE
                else _("Enter the new total number of seats as a whole number, e.g. 13.")
            )
        if errors:
            raise FormErrors(errors)
        block = state.block_named(SeatsBlock.SCHEDULE)
        ticked = bool(state.chosen(block, SeatsAction.SCHEDULE)) if block else False
        return cls(ref, tenant, subscription_id, new_total,  # type: ignore[arg-type]
                   block, ticked)


#: A seat count typed after `/csp seats <group> <subscription>`: "13", "+3", "-2" or "−2".
SEAT_WORD = re.compile(r"^([+\-\u2212]?)(\d{1,7})$")
EXAMPLES = f"13, +3, {MINUS}2"


def seats_from_command(prefill: Prefill) -> tuple[int | None, list[str]]:
    """The new total the command gave, and what to say about the words it could not use.

    `13` is the new total; `+3` and `-2` count from the subscription's seats now (cached). A
    word that is none of these is named back, so it never vanishes without a word.
    """
    words = [str(n) for n in prefill.numbers] + list(prefill.rest)
    if not words:
        return None, []
    first, extra = words[0], words[1:]
    notes: list[str] = []
    total: int | None = None
    match = SEAT_WORD.match(first)
    if match is None:
        notes.append(_("Ignored “{word}”: give the new total of seats below (for example "
                       "{examples}).", word=escape(first[:40]), examples=EXAMPLES))
    elif not match.group(1):
        total = int(match.group(2))
    elif prefill.subscription is None:
        notes.append(_("“{word}” counts from the subscription's seats: choose the "
                       "subscription, then give the new total.", word=escape(first)))
    else:
        now = prefill.subscription.quantity
        change = int(match.group(2)) * (1 if match.group(1) == "+" else -1)
        total = now + change
        if total < 1:
            notes.append(_("{now} {change} would leave no seats: to remove them all, cancel "
                           "the subscription.", now=number(now), change=signed(change)))
            total = None
        else:
            # Translators: e.g. "10 +3 seats: the new total is 13."
            notes.append(_("{now} {change} seats: the new total is {total}.",
                           now=number(now), change=signed(change), total=number(total)))
    if extra:
        notes.append(_("Ignored {words}: `/csp seats` takes a group, a subscription and one "
                       "number of seats.", words=join_list(quoted(extra))))
    return total, notes


def reduction_window(settings: Any) -> timedelta:
    return timedelta(hours=settings.csp_seat_reduction_window_hours)


async def draft_seat_change(
    runtime: Runtime, form: SeatForm, requester: str
) -> tuple[Draft, View]:
    """Asks the rule about the change and stores it as a draft with its confirmation.

    Raises FormErrors (shown next to the field) when the change is not possible now.
    """
    await runtime.roles.require_drafter(requester, RequestKind.SEATS)
    subscription_block = form.ref.subscription_block
    facts = await facts_to_change(runtime.db, subscription_block, form.subscription_id,
                                  form.tenant, terms=load_term_book(runtime.settings))
    settings, now = runtime.settings, runtime.clock.now()
    decision = policy.seat_change(
        facts.subscription, facts.license, facts.batches, form.new_total, now,
        reduction_window(settings), seats_elsewhere=facts.seats_elsewhere,
        seats_on_the_way=facts.seats_on_the_way,
        approval_above=settings.csp_seat_decrease_approval_seats, term=facts.term(now),
    )
    run_at = None
    if form.at_renewal:
        run_at, decision = at_renewal(form, facts, decision, settings)
    if not decision.allowed:
        raise FormErrors({FIELD_BLOCKS.get(decision.field or "", subscription_block):
                          decision.reason})
    before, after = facts.subscription.quantity, form.new_total
    spec = DraftSpec(
        kind=RequestKind.SEATS,
        requester=requester,
        summary=_("Seats of {license} in {group}: {before} → {after}",
                  license=facts.label, group=facts.tenant.label, before=number(before),
                  after=number(after)),
        payload=SeatsPayload(license_name=facts.license_name, before=before,
                             after=after).dump(),
        steps=[StepSpec(StepAction.CHANGE_QUANTITY,
                        {"quantity": after, "previous_quantity": before})],
        tenant=facts.tenant.service_name,
        subscription_id=facts.subscription.id,
        needs_approval=decision.needs_approval,
        deadline=decision.deadline,
        origin_channel=form.ref.channel,
        run_at=run_at,
    )
    content = seat_confirmation(facts, after, decision, load_price_book(settings), now, run_at)
    return await prepare(runtime.db, spec, content, now=now)


def at_renewal(form: SeatForm, facts: SubscriptionFacts, now_decision: SeatDecision,
               settings: Any) -> tuple[datetime, SeatDecision]:
    """"Schedule for the renewal" ticked: offered only for a decrease that the closed window
    alone refuses now; the rule is asked again for the moment the next term starts."""
    block = form.schedule_block or SeatsBlock.NEW_TOTAL
    if now_decision.allowed:
        raise FormErrors({block: _("This change can be made now: untick “Schedule for the "
                                   "renewal” to make it now.")})
    reopens = policy.reopening(now_decision)
    if reopens is None:
        raise FormErrors({FIELD_BLOCKS.get(now_decision.field or "", form.ref.subscription_block):
                          now_decision.reason})
    if form.schedule_block != schedule_block_id(reopens.opens):
        raise FormErrors({block: _("The renewal is now on {date}: review and tick again.",
                                   date=policy.utc_text(reopens.opens))})
    at = reopens.opens
    decision = policy.seat_change(
        facts.subscription, facts.license, facts.batches, form.new_total, at,
        reduction_window(settings), seats_elsewhere=facts.seats_elsewhere,
        seats_on_the_way=facts.seats_on_the_way,
        approval_above=settings.csp_seat_decrease_approval_seats, term=facts.term(at),
    )
    return at, decision


def seat_confirmation(facts: SubscriptionFacts, after: int, decision: policy.Decision,
                      prices: PriceBook, now: datetime,
                      run_at: datetime | None = None) -> Confirmation:
    """Before → after, the difference and what it costs a month, in the rule's own words."""
    before = facts.subscription.quantity
    delta = after - before
    change = (ngettext("+{n} seat", "+{n} seats", delta) if delta > 0
              else ngettext("−{n} seat", "−{n} seats", -delta))
    unit = prices.monthly(facts.license_name)
    if unit is None:
        cost = describe(None)
    else:
        cost = _("{diff} ({before} → {after})", diff=unit.times(delta).signed(),
                 before=unit.times(before), after=unit.times(after))
    deadlines = []
    if decision.deadline is not None:
        deadlines.append(Deadline(_("Seats removable until"), decision.deadline))
    approvers = None
    if decision.needs_approval:
        approvers = _("A support agent must approve this decrease before the seats' window "
                      "closes; otherwise the request expires.")
    rows = [
        (_("License group"), escape(facts.tenant.label)),
        (_("Subscription"), escape(facts.label)),
        (_("Seats"), _("{before} → *{after}*", before=number(before), after=number(after))),
        (_("Change"), change),
        (_("Monthly cost"), cost),
        (_("Term"), term_words(facts.term(now))),
    ]
    if run_at is not None:
        rows.append((_("When"), scheduled_words(run_at)))
    return Confirmation.of(
        _("Confirm seats") if run_at is None else _("Schedule seats"),
        rows,
        notes=decision.notes,
        deadlines=deadlines,
        approvers=approvers,
    )


class SeatsPayload(KindPayload):
    """What a seat change keeps in `requests.payload`: the seats before and after."""

    license_name: str | None = None
    before: int | None = None
    after: int | None = None


SPEC = register(KindSpec(kind=RequestKind.SEATS, title=lambda: _("Seat change"),
                         payload=SeatsPayload))

"""Cancelling a subscription: form → rule → draft awaiting a support agent.

Cancelling is immediate and final (all licenses go, with the add-ons), and refunded pro rata
only within the cancellation window that opens with each term. So the request always goes to a
support agent, its deadline is the window's close (it expires if nobody decides in time), and a
cancellation past the window needs the requester's explicit "no refund" acknowledgement — then
it has no expiry. The one step is `DELETE_SUBSCRIPTION {"subscription_id"}`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot import policy
from bot.core.blocks import context, date_token, escape
from bot.core.domain import Draft, Request, RequestKind, RequestState, StepAction
from bot.core.errors import DomainError, FormErrors
from bot.core.formats import join_list
from bot.core.i18n import _, ngettext
from bot.core.ids import CancelAction, CancelBlock
from bot.pipeline.confirmation import Confirmation, Deadline, prepare
from bot.pipeline.kinds import KindPayload, KindSpec, NowFigures, register
from bot.pipeline.transitions import DraftSpec, StepSpec
from bot.policy.terms import Term
from bot.reference.pricing import Money, PriceBook, describe, load_price_book, prorated_refund
from bot.reference.terms import load_term_book
from bot.slack.state import ViewState
from bot.tenants.subscription_choice import (
    ChoiceRef,
    SubscriptionFacts,
    chosen_or_errors,
    facts_to_change,
)
from bot.terms.views import scheduled_words, term_words

if TYPE_CHECKING:
    from bot.app.runtime import Runtime

DETAILS_LIMIT = 2000


class CancelReason(StrEnum):
    NOT_NEEDED = "not_needed"
    WRONG_LICENSE = "wrong_license"
    DUPLICATE = "duplicate"
    CUSTOMER_LEAVING = "customer_leaving"
    PRICE = "price"
    OTHER = "other"

    @property
    def label(self) -> str:
        return {
            CancelReason.NOT_NEEDED: _("The customer no longer needs it"),
            CancelReason.WRONG_LICENSE: _("Wrong license ordered"),
            CancelReason.DUPLICATE: _("Ordered twice by mistake"),
            CancelReason.CUSTOMER_LEAVING: _("The customer is leaving or moving provider"),
            CancelReason.PRICE: _("Too expensive"),
            CancelReason.OTHER: _("Something else"),
        }[self]


class Acknowledgement(StrEnum):
    """The ticks the modal asks for; their option values."""

    NO_REFUND = "no_refund"
    #: Instead of "no refund": cancelled at the renewal, inside the next term's window.
    AT_RENEWAL = "at_renewal"
    ADDONS = "addons"


def term_start(term: Term, now: datetime, window: timedelta) -> datetime:
    """When the current term started: the purchase or the last renewal (`policy.terms`).
    Without a date, the window is taken as closed — never promise a refund nobody can check."""
    return term.started or now - window


def acknowledgements_needed(facts: SubscriptionFacts, now: datetime, window: timedelta
                            ) -> list[Acknowledgement]:
    """What the requester must tick for this subscription, now."""
    needed = []
    term = facts.term(now)
    if now >= term_start(term, now, window) + window:
        needed.append(Acknowledgement.NO_REFUND)
        if term.next_start is not None:
            needed.append(Acknowledgement.AT_RENEWAL)
    if facts.addons:
        needed.append(Acknowledgement.ADDONS)
    return needed


def acknowledge_block(needed: list[Acknowledgement]) -> str:
    """The checkboxes' block_id names what they acknowledge, so a tick never carries over to a
    modal that asks something else."""
    return ".".join([CancelBlock.ACKNOWLEDGE, *needed])


class AcknowledgementMissing(DomainError):
    """The rule wants a tick the modal did not offer (the window closed while it was open):
    the modal is shown again, with the box."""


@dataclass(frozen=True)
class CancelForm:
    ref: ChoiceRef
    tenant: str
    subscription_id: int
    reason: CancelReason
    details: str
    acknowledged: frozenset[Acknowledgement]
    #: The acknowledgement block the modal showed, if any (errors can only go next to it).
    acknowledge_block: str | None

    @property
    def chosen_ref(self) -> ChoiceRef:
        """The modal's reference, for what was chosen in it."""
        return self.ref.model_copy(
            update={"tenant": self.tenant, "subscription_id": self.subscription_id}
        )

    @classmethod
    def from_view(cls, view: Mapping[str, Any]) -> CancelForm:
        ref = ChoiceRef.of(view)
        state = ViewState.of(view)
        errors: dict[str, str] = {}
        tenant, subscription_id = chosen_or_errors(
            state, ref, errors, missing=_("Choose the subscription to cancel.")
        )
        reason = state.choice(CancelBlock.REASON, CancelAction.REASON)
        if reason not in set(CancelReason):
            errors[CancelBlock.REASON] = _("Choose why the subscription is cancelled.")
        details = state.text(CancelBlock.DETAILS, CancelAction.DETAILS)
        if not details:
            errors[CancelBlock.DETAILS] = _("Say in a few words why: the approver reads it.")
        elif len(details) > DETAILS_LIMIT:
            errors[CancelBlock.DETAILS] = ngettext("At most {n} character, please.",
                                                   "At most {n} characters, please.",
                                                   DETAILS_LIMIT)
        block = state.block_named(CancelBlock.ACKNOWLEDGE)
        ticked = state.chosen(block, CancelAction.ACKNOWLEDGE) if block else []
        acknowledged = frozenset(Acknowledgement(v) for v in ticked
                                 if v in set(Acknowledgement))
        if errors:
            raise FormErrors(errors)
        return cls(ref, tenant, subscription_id, CancelReason(reason), details,  # type: ignore[arg-type]
                   acknowledged, block)


def cancellation_window(settings: Any) -> timedelta:
    return timedelta(hours=settings.csp_cancellation_window_hours)


async def draft_cancellation(runtime: Runtime, form: CancelForm, requester: str
                             ) -> tuple[Draft, View]:
    """Asks the rule and stores the cancellation as a draft; FormErrors when it cannot go."""
    await runtime.roles.require_drafter(requester, RequestKind.CANCEL)
    facts = await facts_to_change(runtime.db, form.ref.subscription_block, form.subscription_id,
                                  form.tenant, terms=load_term_book(runtime.settings))
    now, window = runtime.clock.now(), cancellation_window(runtime.settings)
    sub = facts.subscription
    no_refund = Acknowledgement.NO_REFUND in form.acknowledged
    run_at = None
    if Acknowledgement.AT_RENEWAL in form.acknowledged:
        run_at = renewal_for(form, facts, now, window)
    decision = policy.cancellation(
        sub, facts.term(run_at or now), run_at or now, window, addon_names=facts.addon_names(),
        no_refund_acknowledged=no_refund and run_at is None,
        addons_acknowledged=Acknowledgement.ADDONS in form.acknowledged,
    )
    if not decision.allowed:
        if decision.field == "acknowledge" and form.acknowledge_block:
            raise FormErrors({form.acknowledge_block: decision.reason})
        # the modal showed no box for this: the window closed while it was open
        raise AcknowledgementMissing(decision.reason)
    window_open = decision.window_open
    basis = refund_basis(facts, run_at or now, window)
    refund = refund_at(basis, run_at or now, window, load_price_book(runtime.settings))
    spec = DraftSpec(
        kind=RequestKind.CANCEL,
        requester=requester,
        summary=ngettext("Cancel {license} in {group}: {n} license, the only one",
                         "Cancel {license} in {group}: all {n} licenses", sub.quantity,
                         license=facts.label, group=facts.tenant.label),
        payload=CancelPayload(
            license_name=facts.license_name,
            quantity=sub.quantity,
            reason=form.reason.value,
            details=form.details,
            addon_ids=[a.id for a in facts.addons],
            estimated_refund=str(refund) if refund is not None else None,
            refund_basis=basis,
            no_refund_acknowledged=not window_open and no_refund,
        ).dump(),
        steps=[StepSpec(StepAction.DELETE_SUBSCRIPTION, {"subscription_id": sub.id})],
        tenant=facts.tenant.service_name,
        subscription_id=sub.id,
        needs_approval=True,
        deadline=decision.deadline,
        origin_channel=form.ref.channel,
        run_at=run_at,
    )
    content = cancel_confirmation(facts, form, decision, refund, window_open, now, run_at)
    return await prepare(runtime.db, spec, content, now=now)


def renewal_for(form: CancelForm, facts: SubscriptionFacts, now: datetime, window: timedelta
                ) -> datetime:
    """"Schedule for the renewal" ticked: when the next term starts, if the closed window is
    the only reason the cancellation cannot go now without losing the refund."""
    block = form.acknowledge_block or form.ref.subscription_block
    if Acknowledgement.NO_REFUND in form.acknowledged:
        raise FormErrors({block: _("Choose one: cancel now without a refund, or schedule it "
                                   "for the renewal.")})
    now_decision = policy.cancellation(facts.subscription, facts.term(now), now, window)
    if now_decision.allowed:
        raise FormErrors({block: _("The cancellation window is open now: untick “Schedule for "
                                   "the renewal” to cancel now with a refund.")})
    reopens = policy.reopening(now_decision)
    if reopens is None:
        raise FormErrors({block: now_decision.reason})
    return reopens.opens


class RefundLine(BaseModel):
    """One subscription a cancellation removes (the subscription first, then its add-ons), as
    the refund estimate needs it: kept with the request, so the estimate can be made again at
    any later time without the cache (which forgets the subscription once it is deleted)."""

    model_config = ConfigDict(frozen=True)

    license_name: str
    quantity: int
    term_start: datetime
    #: The months one invoice of its term covers (its billing cycle): what a refund prorates.
    billing_months: int = 1

    @field_validator("billing_months", mode="before")
    @classmethod
    def _monthly_when_unsaid(cls, value: object) -> object:
        return value or 1


class CancelPayload(KindPayload):
    """What a cancellation keeps in `requests.payload`."""

    license_name: str = ""
    quantity: int = 0
    reason: str = ""
    details: str = ""
    addon_ids: list[int] = Field(default_factory=list)
    estimated_refund: str | None = None
    #: What the approval card recomputes the estimate from when it is drawn.
    refund_basis: list[RefundLine] = Field(default_factory=list)
    #: Past the window, the requester accepted "no refund": approvable at any time, no expiry.
    no_refund_acknowledged: bool = False


def refund_basis(facts: SubscriptionFacts, now: datetime, window: timedelta
                 ) -> list[RefundLine]:
    lines = []
    for sub in (facts.subscription, *facts.addons):
        term = facts.term(now, sub)
        lines.append(RefundLine(license_name=sub.license_name or facts.license.name,
                                quantity=sub.quantity, term_start=term_start(term, now, window),
                                billing_months=term.plan.billing.months))
    return lines


def refund_at(basis: list[RefundLine], at: datetime, window: timedelta,
              prices: PriceBook) -> Money | None:
    """What Microsoft would credit if it were cancelled at `at`: for the subscription and each
    add-on still inside its window, the unused days of the period its term's first invoice
    covers (a month, unless it is billed annually or triennially). None when a price is missing
    from the price book."""
    total: Money | None = None
    for line in basis:
        monthly = prices.monthly_total(line.license_name, line.quantity)
        if monthly is None:
            return None
        if at >= line.term_start + window:
            refund = Money(Decimal(0), monthly.currency)
        else:
            months = line.billing_months
            end = policy.add_months(line.term_start, months)
            refund = prorated_refund(monthly.times(months), line.term_start, end, at)
        total = refund if total is None else total + refund
    return total


def refund_label() -> str:
    """The confirmation row of the estimate: the approval card replaces its value by label."""
    return _("Estimated refund")


def refund_text(refund: Money | None, window_open: bool, at: datetime) -> str:
    if not window_open:
        return _("None: the cancellation window has closed")
    if refund is None:
        return describe(None)
    # "{date_short}", never "…_pretty": "if approved on Today" is not a sentence
    return _("≈ {amount} if approved on {date}; it shrinks by the day",
             amount=refund, date=date_token(at, "{date_short}"))


#: States of a cancellation that was approved: its estimate is the one at the decision.
APPROVED_STATES = frozenset({RequestState.QUEUED, RequestState.RUNNING, RequestState.DONE,
                             RequestState.FAILED, RequestState.NEEDS_ATTENTION})


def refund_estimate_now(request: Request, now: datetime, settings: Any) -> str | None:
    """The estimated refund of a cancellation as its approval card (or a reminder) should say
    it when drawn at `now`: prorated to today while it waits for a decision, to the day of the
    decision once approved. None when there is nothing to recompute (not a cancellation,
    rejected, withdrawn, expired, or a request that does not keep its basis): the card then
    shows what the requester confirmed."""
    basis = CancelPayload.of(request).refund_basis if request.kind is RequestKind.CANCEL else []
    if not basis:
        return None
    if request.state is RequestState.AWAITING_APPROVAL:
        at = max(now, request.run_at) if request.run_at else now  # scheduled: when it goes
    elif request.state in APPROVED_STATES and request.decided_by and request.decided_at:
        at = request.decided_at
    else:
        return None
    window = cancellation_window(settings)
    refund = refund_at(basis, at, window, load_price_book(settings))
    window_open = at < basis[0].term_start + window
    if request.state is RequestState.AWAITING_APPROVAL:
        return refund_text(refund, window_open, at)
    if not window_open:
        return _("None: the cancellation window had closed when it was approved")
    if refund is None:
        return describe(None)
    return _("≈ {amount}, as approved on {date}", amount=refund,
             date=date_token(at, "{date_short}"))


def cancel_confirmation(facts: SubscriptionFacts, form: CancelForm, decision: policy.Decision,
                        refund: Money | None, window_open: bool, now: datetime,
                        run_at: datetime | None = None) -> Confirmation:
    """What is lost, by when it must be decided, and what comes back."""
    sub = facts.subscription
    rows = [
        (_("License group"), escape(facts.tenant.label)),
        (_("Subscription"), escape(facts.label)),
        (_("What is lost"), ngettext("*{n} license, the only one*, at once and for good",
                                     "*All {n} licenses*, at once and for good", sub.quantity)),
    ]
    if facts.addons:
        rows.append((_("Add-ons cancelled too"), escape(join_list(facts.addon_names()))))
    rows.append((_("Term"), term_words(facts.term(now))))
    rows.append((_("Reason"), f"{form.reason.label}\n_{escape(form.details)}_"))
    rows.append((refund_label(), refund_text(refund, window_open, run_at or now)))
    if run_at is not None:
        rows.append((_("When"), scheduled_words(run_at)))
    deadlines = []
    if run_at is not None and decision.deadline is not None:
        deadlines.append(Deadline(_("Cancellation window closes"), decision.deadline))
        approvers = _("A support agent decides now. Approved, it is cancelled at the renewal; "
                      "if nobody decides before the new term's window closes, it expires.")
    elif window_open and decision.deadline is not None:
        deadlines.append(Deadline(_("Cancellation window closes"), decision.deadline))
        approvers = _("A support agent must approve it before the window closes; otherwise "
                      "the request expires and nothing is cancelled.")
    else:
        approvers = _("A support agent must approve it. The window has closed, so there is no "
                      "deadline: no refund is due whenever it is approved.")
    months = facts.term(now).plan.billing.months
    basis = (_("Refund estimated from the price book for a monthly term, prorated by the day.")
             if months == 1 else
             ngettext("Refund estimated from the price book for its {n}-month invoice, "
                      "prorated by the day.",
                      "Refund estimated from the price book for its {n}-month invoice, "
                      "prorated by the day.", months))
    return Confirmation.of(
        _("Confirm cancellation") if run_at is None else _("Schedule cancellation"),
        rows,
        notes=[*decision.notes, basis] if window_open else decision.notes,
        deadlines=deadlines,
        approvers=approvers,
    )


# --- what the pipeline's cards and reminders need to know (bot.pipeline.kinds) --------------------


def _figures_now(request: Request, now: datetime, settings: Any) -> NowFigures | None:
    """The refund estimate as of now, on the approval card and in the reminders."""
    refund = refund_estimate_now(request, now, settings)
    if not refund:
        return None
    return NowFigures(rows={refund_label(): refund},
                      reminder=_(":moneybag: Estimated refund: {refund}", refund=refund))


def _approval_blocks(request: Request) -> list[Block]:
    if not CancelPayload.of(request).no_refund_acknowledged:
        return []
    return [context(_(":warning: The requester accepted that this gets no refund."))]


def _expires(request: Request) -> bool:
    """Past its window, a cancellation whose requester accepted "no refund" never expires."""
    return not CancelPayload.of(request).no_refund_acknowledged


SPEC = register(KindSpec(
    kind=RequestKind.CANCEL,
    title=lambda: _("Cancellation"),
    payload=CancelPayload,
    approval_blocks=_approval_blocks,
    as_of_now=_figures_now,
    expires=_expires,
))  # fmt: skip

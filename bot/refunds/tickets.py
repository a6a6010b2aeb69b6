"""Refund tickets: a validated form becomes a draft on the request pipeline; support agents claim,
approve (generic, `bot.pipeline.approvals`), file it with Microsoft and record the credit.

No provider call anywhere: a refund ticket has no steps. Its states are its own table,
REFUND_MOVES (draft → awaiting_approval → approved → filed → resolved | rejected | withdrawn);
every move is a `pipeline.transition` (through `approvals.advance`), so it is audited and safe
against double clicks. Claiming is not a move: a conditional update of `requests.assignee`
(`assignee IS NULL`) plus its own audit event.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from slack_sdk.models.blocks import Option
from slack_sdk.models.views import View

from bot.cache import typeahead
from bot.core.blocks import context, section
from bot.core.domain import Draft, Request, RequestKind, RequestState, Role
from bot.core.errors import AlreadyHandled, DomainError, FormErrors, NotAllowed
from bot.core.i18n import _
from bot.core.ids import BlockId, RefundBlock
from bot.pipeline import approvals
from bot.pipeline import transitions as pipeline
from bot.pipeline.cards import Card
from bot.pipeline.confirmation import Confirmation, Deadline, prepare
from bot.pipeline.kinds import KindSpec, register
from bot.pipeline.transitions import DraftSpec
from bot.policy import RefundStep, RefundWindows, may_handle_refund, refund_ticket
from bot.policy.refunds import may_decide_refund
from bot.refunds.form import RefundPayload, RefundTicket, is_domain, is_guid
from bot.refunds.views import (
    RefundPrefill,
    TicketPage,
    claimed_text,
    confirmation_rows,
    refund_card_blocks,
    refund_facts,
    refund_news,
    ticket_of,
)
from store import cache
from store import requests as repo

if TYPE_CHECKING:
    from bot.app.runtime import Runtime

log = logging.getLogger(__name__)

S = RequestState

#: Refund tickets: the provider is not involved; people move them along.
REFUND_MOVES = {
    S.DRAFT: frozenset({S.AWAITING_APPROVAL}),
    S.AWAITING_APPROVAL: frozenset({S.APPROVED, S.REJECTED, S.WITHDRAWN}),
    S.APPROVED: frozenset({S.FILED}),
    S.FILED: frozenset({S.RESOLVED}),
}
PAGE_SIZE = 10
MAX_PAGE = 50
OPEN_STATES = frozenset({S.AWAITING_APPROVAL, S.APPROVED, S.FILED})
LISTED_STATES = frozenset(set(S) - {S.DRAFT})
LIST_FILTERS = ("open", "mine", "all")


# --- opening a ticket -----------------------------------------------------------------------


async def prefill(
    runtime: Runtime, user_id: str, words: Sequence[str] = (), license_group: str | None = None
) -> RefundPrefill:
    """What the modal starts with, from the cache and the database only (Slack's 3 seconds).

    `/csp refund <tenant GUID or domain> [order id]`, or words naming one of our license
    groups; the contact of the requester's previous ticket, so nobody types it twice.
    """
    tenant = order_id = None
    search: list[str] = []
    group: Option | None = None
    async with runtime.db.session() as session:
        for word in [*([license_group] if license_group else []), *words]:
            cached = await cache.get_tenant(session, word)
            if cached is not None and group is None:
                group = Option(value=cached.service_name, text=_group_label(cached))
            elif tenant is None and (is_guid(word) or is_domain(word)):
                tenant = word.strip("{}").lower()
            elif tenant is not None and order_id is None and any(c.isdigit() for c in word):
                order_id = word
            else:
                search.append(word)
        last = await repo.requests_in_states(
            session, LISTED_STATES, kinds=[RequestKind.REFUND], requester=user_id, limit=1
        )
    if group is None and search:
        found = await typeahead.tenant_options(runtime, " ".join(search))
        if len(found) == 1:
            group = found[0]
    previous = ticket_of(Request.model_validate(last[0])) if last else None
    if group is not None:  # the group's own last ticket knows its customer tenant and contact
        async with runtime.db.session() as session:
            of_group = await repo.requests_in_states(
                session, LISTED_STATES, kinds=[RequestKind.REFUND], tenant=group.value, limit=1
            )
        group_ticket = ticket_of(Request.model_validate(of_group[0])) if of_group else None
        if group_ticket is not None:
            previous = group_ticket
            tenant = tenant or group_ticket.customer_tenant
    return RefundPrefill(
        customer_tenant=tenant,
        order_id=order_id,
        license_group=group,
        contact_name=previous.contact_name if previous else None,
        contact_email=previous.contact_email if previous else None,
        contact_phone=previous.contact_phone if previous else None,
        currency=runtime.settings.csp_currency,
    )


def _group_label(tenant: cache.CachedTenant) -> str:
    label = f"{tenant.display_name} — {tenant.service_name}" if tenant.display_name else (
        tenant.service_name
    )
    return label if len(label) <= 75 else label[:74] + "…"


def windows(runtime: Runtime) -> RefundWindows:
    return RefundWindows.from_settings(runtime.settings)


async def open_ticket(
    runtime: Runtime, ticket: RefundTicket, requester: str, origin_channel: str | None
) -> tuple[Draft, View]:
    """Asks policy, stores the draft, and returns the confirmation to push on the form."""
    await runtime.roles.require_drafter(requester, RequestKind.REFUND)
    group_label = None
    if ticket.license_group:
        async with runtime.db.session() as session:
            cached = await cache.get_tenant(session, ticket.license_group)
        if cached is None:
            raise FormErrors({BlockId.TENANT: _("That license group is not known here; pick "
                                                "one from the list or leave it empty.")})
        group_label = cached.label
    decision = refund_ticket(
        ticket.product, ticket.purchased_on, runtime.clock.now(), windows(runtime),
        acknowledged=ticket.acknowledged_outside_window,
    )
    if not decision.allowed:
        raise FormErrors({decision.field or RefundBlock.PURCHASE_DATE: decision.reason})
    outside = decision.outside_window
    closes = decision.window_closes
    assert closes is not None  # an allowed refund decision names the window's end
    payload = RefundPayload(
        refund=ticket, outside_window=outside, window_days=decision.window_days
    ).dump()
    spec = DraftSpec(
        kind=RequestKind.REFUND,
        requester=requester,
        summary=_("Refund of {amount}: {title}", amount=ticket.amount_text, title=ticket.title),
        payload=payload,
        tenant=ticket.license_group,
        needs_approval=True,
        origin_channel=origin_channel or None,
    )
    content = Confirmation.of(
        _("Confirm refund ticket"),
        confirmation_rows(ticket, group_label),
        decision=decision,
        deadlines=[Deadline(_("Refund window closed") if outside else
                            _("Refund window closes"), closes)],
        approvers=_("A support agent claims the ticket and approves or rejects it; once "
                    "approved, an admin agent files it with Microsoft."),
    )
    return await prepare(runtime.db, spec, content, now=runtime.clock.now())


# --- support agents move it along -----------------------------------------------------------


async def check_step(runtime: Runtime, request_id: int, actor: str, step: RefundStep) -> Request:
    """The ticket, if `actor` may take this step now; a polite refusal otherwise."""
    request = await pipeline.load(runtime.db, request_id)
    roles = await runtime.roles.of(actor)
    decision = may_handle_refund(request, actor, roles, step)
    if decision.allowed:
        return request
    is_agent = Role.SUPPORT in roles or Role.ADMIN in roles
    if is_agent and request.requester != actor and request.state.final:
        raise AlreadyHandled(decision.reason)
    raise NotAllowed(decision.reason)


async def claim(runtime: Runtime, request_id: int, actor: str) -> Request:
    """A support agent takes the ticket; the first click wins, on every replica."""
    request = await check_step(runtime, request_id, actor, RefundStep.CLAIM)
    async with runtime.db.transaction() as session:
        taken = await repo.claim_assignee(session, request_id, actor)
        if taken:
            await repo.add_audit(
                session, request_id=request_id, tenant=request.tenant, actor=actor,
                action="claim", before_state=request.state, after_state=request.state,
                note=_("claimed the ticket"),
            )
    latest = await pipeline.load(runtime.db, request_id)
    if not taken:
        raise AlreadyHandled(
            _("{ref} is already claimed by <@{who}>.", ref=latest.ref, who=latest.assignee)
        )
    await runtime.notifier.approval_card_now(request_id)  # the Claim button goes at once
    in_background(_tell_claimed(runtime, latest, actor))
    return latest


async def _tell_claimed(runtime: Runtime, request: Request, agent: str) -> None:
    """The status card shows who has the ticket, and the requester hears it.

    Not `notifier.request_changed`: a claim is no transition, and that would repeat the DM of
    the state the ticket is in (e.g. "approved")."""
    try:
        await runtime.notifier.refresh(request.id)
    except Exception:
        log.exception("could not update the cards of %s after its claim", request.ref)
    try:
        with (await runtime.locales.of(request.requester)).speaking():  # the requester's words
            text = claimed_text(request, agent)
        await runtime.notifier.direct_message(
            request.requester, Card(text, [section(text), context(request.ref)])
        )
    except Exception:
        log.exception("could not tell the requester that %s was claimed", request.ref)


async def mark_filed(runtime: Runtime, request_id: int, actor: str, reference: str) -> Request:
    """approved → filed: filed with Microsoft under `reference`."""
    request = await check_step(runtime, request_id, actor, RefundStep.FILE)
    payload = RefundPayload.of(request).model_copy(update={"upstream_reference": reference})
    values: dict[str, Any] = {"payload": payload.dump()}
    if request.assignee is None:
        values["assignee"] = actor  # whoever files it has it from now on
    return await approvals.advance(
        runtime, request_id, {S.APPROVED}, S.FILED, actor,
        _("filed with Microsoft as {ref}", ref=reference), values=values,
        data={"upstream_reference": reference},
    )


async def mark_resolved(
    runtime: Runtime, request_id: int, actor: str, amount: Decimal, currency: str
) -> Request:
    """filed → resolved: Microsoft credited `amount` (0 when it refused the refund)."""
    request = await check_step(runtime, request_id, actor, RefundStep.RESOLVE)
    credited = f"{amount:,.2f} {currency}"
    return await approvals.advance(
        runtime, request_id, {S.FILED}, S.RESOLVED, actor, _("credited {x}", x=credited),
        values={"payload": RefundPayload.of(request)
                .model_copy(update={"credited_amount": credited}).dump()},
        data={"credited_amount": str(amount), "currency": currency},
    )


# --- the list -----------------------------------------------------------------------------


async def ticket_page(runtime: Runtime, which: str, user_id: str, page: int = 0) -> TicketPage:
    """`/csp refunds open|mine|all`: newest activity first, PAGE_SIZE a page."""
    which = (which or "open").lower()
    if which not in LIST_FILTERS:
        raise DomainError(_("Say which refund tickets: `/csp refunds open`, `/csp refunds "
                            "mine` or `/csp refunds all`."))
    page = max(0, min(page, MAX_PAGE))
    states = OPEN_STATES if which == "open" else LISTED_STATES
    async with runtime.db.session() as session:
        rows = await repo.requests_in_states(
            session, states, kinds=[RequestKind.REFUND],
            requester=user_id if which == "mine" else None, limit=(page + 1) * PAGE_SIZE + 1,
        )
    tickets = [Request.model_validate(r) for r in rows]
    start = page * PAGE_SIZE
    return TicketPage(which, page, tickets[start : start + PAGE_SIZE],
                      has_more=len(tickets) > start + PAGE_SIZE)


# --- background work that must not hold up Slack's answer ----------------------------------

_background: set[asyncio.Task[None]] = set()


def in_background(work: Coroutine[Any, Any, None]) -> None:
    task = asyncio.create_task(work)
    _background.add(task)
    task.add_done_callback(_background.discard)


async def settle() -> None:
    """Waits for the background card updates and DMs (tests; shutdown)."""
    while _background:
        await asyncio.gather(*list(_background), return_exceptions=True)


# --- what the pipeline needs to know about refund tickets (bot.pipeline.kinds) --------------------

SPEC = register(KindSpec(
    kind=RequestKind.REFUND,
    title=lambda: _("Refund ticket"),
    payload=RefundPayload,
    moves=REFUND_MOVES,
    approved_to=S.APPROVED,
    approval_sentence=lambda: _("The refund ticket is approved and can be filed with Microsoft."),
    facts=refund_facts,
    status_blocks=lambda request, _steps: refund_card_blocks(request, approval=False),
    approval_blocks=lambda request: refund_card_blocks(request, approval=True),
    news=refund_news,
    may_decide=may_decide_refund,
))  # fmt: skip

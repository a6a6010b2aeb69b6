"""Refund tickets in Slack: the modal, the filed/resolved modals, the refund section of the cards
(the extension point `refund_card_blocks`), the upstream description and the ticket list.

Pure: data in, Block Kit out (slack_sdk.models checks Slack's limits when serialised).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    CheckboxesElement,
    ConfirmObject,
    DatePickerElement,
    DividerBlock,
    EmailInputElement,
    ExternalDataSelectElement,
    InputBlock,
    Option,
    PlainTextInputElement,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.core.blocks import TITLE_LIMIT, context, date_token, escape, mrkdwn, plain, section
from bot.core.domain import Request, RequestKind, RequestState
from bot.core.formats import day, duration, money, money_example, number
from bot.core.i18n import _
from bot.core.ids import BlockId, OptionsAction, RefundAction, RefundBlock, RefundCallback
from bot.core.text import cut_saying
from bot.policy import RefundWindows, admin_agent_note, refund_window_end
from bot.refunds.form import (
    CURRENCIES,
    DETAILS_MAX,
    MAX_ATTACHMENTS,
    NAME_MAX,
    ORDER_ID_MAX,
    REFERENCE_MAX,
    TITLE_MAX,
    Impact,
    RefundPayload,
    RefundProduct,
    RefundReason,
    RefundTicket,
    impact_label,
    product_in_sentence,
    product_label,
    reason_label,
)
from bot.slack.metadata import ChannelRef, RequestRef

B = RefundBlock
S = RequestState
SECTION_LIMIT = 2900


def ticket_of(request: Request) -> RefundTicket | None:
    return RefundPayload.of(request).refund


# --- the modal -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RefundPrefill:
    """What the modal starts with: the command's words, the App Home button, the last ticket."""

    customer_tenant: str | None = None
    order_id: str | None = None
    license_group: Option | None = None
    contact_name: str | None = None
    contact_email: str | None = None
    contact_phone: str | None = None
    currency: str = "EUR"
    #: Filled when the ticket starts from a known purchase (a software purchase past its window).
    product: RefundProduct | None = None
    purchase_date: date | None = None
    title: str | None = None


def _text_input(
    block: str, label: str, *, initial: str | None = None, placeholder: str | None = None,
    hint: str | None = None, multiline: bool = False, max_length: int | None = None,
    optional: bool = False,
) -> InputBlock:
    return InputBlock(
        block_id=block,
        label=plain(label),
        element=PlainTextInputElement(
            action_id=RefundAction.FIELD, initial_value=initial or None,
            placeholder=plain(placeholder) if placeholder else None, multiline=multiline,
            max_length=max_length,
        ),
        hint=plain(hint) if hint else None,
        optional=optional,
    )


def _select(block: str, label: str, options: Sequence[Option], *, initial: Option | None = None,
            hint: str | None = None) -> InputBlock:
    return InputBlock(
        block_id=block,
        label=plain(label),
        element=StaticSelectElement(
            action_id=RefundAction.FIELD, options=list(options), initial_option=initial,
            placeholder=plain(_("Choose…")),
        ),
        hint=plain(hint) if hint else None,
    )


def windows_text(windows: RefundWindows) -> str:
    return _(
        "Refund windows: perpetual software {p}, software subscriptions {s}, "
        "license-based subscriptions {lic} (prorated).",
        p=_days(windows.perpetual_days), s=_days(windows.software_subscription_days),
        lic=_days(windows.license_days),
    )


def _days(n: int) -> str:
    """`30 days`, `30 dagen`, `30 Tage` …"""
    return duration(timedelta(days=int(n)))


def credited_text(credited: object) -> str:
    """The credited amount as stored (`1,234.50 EUR`), written the reader's way; as stored
    (escaped) when it does not read as an amount and a currency."""
    raw = str(credited).strip()
    amount, _space, currency = raw.rpartition(" ")
    try:
        value = Decimal(amount.replace(",", ""))
    except InvalidOperation:
        return escape(raw)
    if len(currency) != 3 or not currency.isalpha():
        return escape(raw)
    return money(value, currency.upper())


def refund_form_view(prefill: RefundPrefill, windows: RefundWindows, origin_channel: str) -> View:
    """The ticket modal; its submission is parsed by `bot.refunds.form.parse_refund_form`."""
    currencies = [Option(value=c, text=c) for c in CURRENCIES]
    products = [Option(value=p, text=product_label(p)) for p in RefundProduct]
    currency = next((o for o in currencies if o.value == prefill.currency), currencies[0])
    blocks: list[Block] = [
        section(_("What Microsoft's *CSP Purchase/Refund on behalf of customers* request needs. "
                  "A support agent takes the ticket from there.")),
        InputBlock(
            block_id=BlockId.TENANT,
            label=plain(_("License group")),
            element=ExternalDataSelectElement(
                action_id=OptionsAction.TENANT, min_query_length=0,
                initial_option=prefill.license_group,
                placeholder=plain(_("Search the license groups…")),
            ),
            hint=plain(_("The license group the purchase belongs to, if it is one of ours.")),
            optional=True,
        ),
        _text_input(B.CUSTOMER_TENANT, _("Customer's tenant GUID or domain name"),
                    initial=prefill.customer_tenant, max_length=253,
                    placeholder="contoso.onmicrosoft.com"),
        _text_input(B.ORDER_ID, _("Order ID or subscription ID"), initial=prefill.order_id,
                    max_length=ORDER_ID_MAX, hint=_("As shown in Partner Center.")),
        _select(B.PRODUCT, _("What was bought"), products,
                initial=next((o for o in products if o.value == prefill.product), None),
                hint=windows_text(windows)),
        InputBlock(
            block_id=B.PURCHASE_DATE,
            label=plain(_("Purchase date")),
            element=DatePickerElement(action_id=RefundAction.FIELD,
                                      initial_date=(prefill.purchase_date.isoformat()
                                                    if prefill.purchase_date else None),
                                      placeholder=plain(_("Pick a date"))),
            hint=plain(_("Partner Center dates are UTC.")),
        ),
        _select(B.REASON, _("Reason for the refund"),
                [Option(value=r, text=reason_label(r)) for r in RefundReason]),
        _text_input(B.REASON_DETAILS, _("Explain the reason"), multiline=True,
                    max_length=DETAILS_MAX, optional=True,
                    hint=_("Microsoft reads this; needed when the reason is “Other”.")),
        _text_input(B.AMOUNT, _("Amount requested"), placeholder=money_example(), max_length=20),
        _select(B.CURRENCY, _("Currency"), currencies, initial=currency),
        _select(B.IMPACT, _("Impact"), [Option(value=i, text=impact_label(i)) for i in Impact]),
        _text_input(B.TITLE, _("Title"), max_length=TITLE_MAX, initial=prefill.title,
                    placeholder=_("Refund of Office LTSC Standard 2024 for Contoso")),
        _text_input(B.CONTACT_NAME, _("Contact name"), initial=prefill.contact_name,
                    max_length=NAME_MAX),
        InputBlock(
            block_id=B.CONTACT_EMAIL,
            label=plain(_("Contact email")),
            element=EmailInputElement(action_id=RefundAction.FIELD,
                                      initial_value=prefill.contact_email or None),
        ),
        _text_input(B.CONTACT_PHONE, _("Contact phone"), initial=prefill.contact_phone,
                    max_length=32, placeholder="+31 10 234 5678"),
        _text_input(B.ATTACHMENTS, _("Files"), multiline=True, optional=True,
                    placeholder="https://….slack.com/files/…",
                    hint=_("Share the files in Slack, choose “Copy link” and paste up to {n} "
                           "links, one a line. Only the links are kept.", n=MAX_ATTACHMENTS)),
        InputBlock(
            block_id=B.ACKNOWLEDGE,
            label=plain(_("Outside the refund window?")),
            element=CheckboxesElement(
                action_id=RefundAction.FIELD,
                options=[Option(
                    value="acknowledged",
                    text=_("File it anyway: Microsoft may refuse the refund"),
                    description=_("Past the refund window of its product type"),
                )],
            ),
            hint=plain(_("Only needed past the window; the approver sees the flag.")),
            optional=True,
        ),
        context(admin_agent_note()),
    ]
    return View(
        type="modal",
        callback_id=RefundCallback.FORM,
        private_metadata=ChannelRef(channel=origin_channel or None).dump(),
        title=plain(_("Refund ticket"), TITLE_LIMIT),
        submit=plain(_("Review")),
        close=plain(_("Cancel")),
        blocks=blocks,
    )


def confirmation_rows(
    ticket: RefundTicket, license_group: str | None = None
) -> list[tuple[str, str]]:
    """The summary rows of the confirmation, which the cards show too (mrkdwn, escaped)."""
    rows = [
        (_("Customer tenant"), f"`{escape(ticket.customer_tenant)}`"),
        (_("Order or subscription ID"), f"`{escape(ticket.order_id)}`"),
        (_("Product"), product_label(ticket.product)),
        (_("Purchased on"), day(ticket.purchased_on)),
        (_("Reason"), escape(ticket.reason_text)),
        (_("Amount requested"), ticket.amount_text),
        (_("Impact"), impact_label(ticket.impact)),
        (_("Title"), escape(ticket.title)),
        (_("Contact"), escape(f"{ticket.contact_name} · {ticket.contact_email} · "
                              f"{ticket.contact_phone}")),
    ]
    if ticket.attachments:
        rows.append((_("Files"), "\n".join(f"<{link}>" for link in ticket.attachments)))
    if license_group:
        rows.append((_("License group"), escape(license_group)))
    return rows


# --- the description Microsoft asks for ----------------------------------------------------------


def upstream_description(ticket: RefundTicket) -> str:
    """Partner Center's fields, the Description holding Microsoft's four items in their order."""
    contact = f"{ticket.contact_name}, {ticket.contact_email}, {ticket.contact_phone}"
    lines = [
        _("Problem type: CSP Purchase/Refund on behalf of customers"),
        _("Impact: {x}", x=impact_label(ticket.impact).split(":")[0].strip()),
        _("Title: {x}", x=ticket.title),
        _("Description:"),
        _("Customer's tenant GUID or domain name: {x}", x=ticket.customer_tenant),
        _("Order ID or subscription ID: {x}", x=ticket.order_id),
        _("Reason for the refund: {x}", x=ticket.reason_text),
        _("Amount requested: {x}", x=ticket.amount_text),
        _("Contact: {x}", x=contact),
    ]
    if ticket.attachments:
        lines.append(_("Files to attach: {n}", n=len(ticket.attachments)))
    return "\n".join(lines)


def _description_blocks(ticket: RefundTicket) -> list[Block]:
    text, left_out = cut_saying(escape(upstream_description(ticket)), SECTION_LIMIT - 120)
    blocks: list[Block] = [
        SectionBlock(
            block_id=B.UPSTREAM_DESCRIPTION,
            text=mrkdwn(_("*Ready to paste into Partner Center* (Help + support → New "
                          "request):") + f"\n```{text}```"
                         + (f"\n{left_out}" if left_out else "")),
        )
    ]
    if ticket.attachments:
        links = "\n".join(f"• <{link}>" for link in ticket.attachments)
        blocks.append(section(_("*Files to attach* (download from Slack, then “Add files”):")
                              + "\n" + links))
    return blocks


# --- the refund section of the status and approval cards (the extension point) -------------------


def window_flag(request: Request) -> str | None:
    payload = RefundPayload.of(request)
    ticket = payload.refund
    if ticket is None or not payload.outside_window:
        return None
    days = payload.window_days
    closes = refund_window_end(ticket.purchased_on, int(days)) if days else None
    when = date_token(closes) if closes else ""
    return _(":warning: *Outside the refund window* ({period} for {kind}, closed {when}): "
             "the requester acknowledged that Microsoft may refuse the refund.",
             period=_days(int(days or 0)), kind=product_in_sentence(ticket.product), when=when)


def _button(label: str, action: RefundAction, request: Request, *, style: str | None = None,
            confirm: ConfirmObject | None = None) -> ButtonElement:
    return ButtonElement(text=plain(label), action_id=action, value=str(request.id),
                         style=style, confirm=confirm)


def refund_card_blocks(request: Request, *, approval: bool) -> list[Block]:
    """What a refund ticket adds to its cards: the out-of-window flag, who has it, and — on the
    approval card, where support agents work — the ready-to-paste description and the next
    step's button. Called by `bot.pipeline.cards` for requests of kind REFUND."""
    if request.kind is not RequestKind.REFUND:
        return []
    ticket = ticket_of(request)
    blocks: list[Block] = []
    flag = window_flag(request) if approval else None
    if flag:
        blocks.append(section(flag))
    if request.state is S.RESOLVED and ticket is not None:
        credited = RefundPayload.of(request).credited_amount
        blocks.append(section(_(":moneybag: Credited {credited} of {asked} requested.",
                                credited=credited_text(credited), asked=ticket.amount_text)))
    if not approval:
        if request.state in (S.AWAITING_APPROVAL, S.APPROVED, S.FILED) and not request.assignee:
            blocks.append(context(_("No support agent has taken this ticket yet.")))
        return blocks
    buttons: list[ButtonElement] = []
    if request.state is S.AWAITING_APPROVAL and not request.assignee:  # decided: taken
        buttons.append(_button(_("Claim"), RefundAction.CLAIM, request))
    if request.state is S.APPROVED and ticket is not None:
        blocks.append(DividerBlock())
        blocks.extend(_description_blocks(ticket))  # who may file it: in the notes above
        buttons.append(_button(_("Mark as filed"), RefundAction.MARK_FILED, request,
                               style="primary"))
    if request.state is S.FILED:
        buttons.append(_button(_("Mark as resolved"), RefundAction.MARK_RESOLVED, request,
                               style="primary"))
    if buttons:
        blocks.append(ActionsBlock(block_id=B.CARD_ACTIONS, elements=buttons))
    return blocks


def claimed_text(request: Request, agent: str) -> str:
    """The requester's DM when a support agent takes their ticket."""
    summary = f" ({escape(request.summary)})" if request.summary else ""
    return _(":raising_hand: <@{agent}> took your refund ticket *{ref}*{summary}.",
             agent=agent, ref=request.ref, summary=summary)


# --- the filed and resolved modals ---------------------------------------------------------------


def filed_view(request: Request) -> View:
    return View(
        type="modal",
        callback_id=RefundCallback.FILED,
        private_metadata=RequestRef(request_id=request.id).dump(),
        title=plain(_("Mark {ref} as filed", ref=request.ref), TITLE_LIMIT),
        submit=plain(_("Mark as filed")),
        close=plain(_("Cancel")),
        blocks=[
            section(_("Filed *{ref}* in Partner Center as “CSP Purchase/Refund on behalf of "
                      "customers”? Give Microsoft's reference for it.", ref=request.ref)),
            _text_input(B.UPSTREAM_REFERENCE, _("Partner Center request reference"),
                        max_length=REFERENCE_MAX, placeholder="2611020040001234"),
            context(admin_agent_note()),
        ],
    )


def resolved_view(request: Request) -> View:
    ticket = ticket_of(request)
    currencies = [Option(value=c, text=c) for c in CURRENCIES]
    wanted = ticket.currency if ticket else CURRENCIES[0]
    initial = next((o for o in currencies if o.value == wanted), currencies[0])
    asked = ticket.amount_text if ticket else "—"
    return View(
        type="modal",
        callback_id=RefundCallback.RESOLVED,
        private_metadata=RequestRef(request_id=request.id).dump(),
        title=plain(_("Resolve {ref}", ref=request.ref), TITLE_LIMIT),
        submit=plain(_("Mark as resolved")),
        close=plain(_("Cancel")),
        blocks=[
            section(_("How much did Microsoft credit for *{ref}*? {asked} was requested; write "
                      "0 if the refund was refused.", ref=request.ref, asked=asked)),
            _text_input(B.CREDITED_AMOUNT, _("Credited amount"), max_length=20,
                        placeholder=money_example()),
            _select(B.CREDITED_CURRENCY, _("Currency"), currencies, initial=initial),
        ],
    )


# --- the ticket list -----------------------------------------------------------------------------


@dataclass(frozen=True)
class TicketPage:
    which: str
    page: int
    tickets: Sequence[Request]
    has_more: bool


def age_text(since: datetime, now: datetime) -> str:
    seconds = max(0, int((now - since).total_seconds()))
    if seconds < 3600:
        # Translators: a ticket's age in minutes, short ("5 min old")
        return _("{n} min", n=number(max(1, seconds // 60)))
    if seconds < 86400:
        # Translators: a ticket's age in hours, short ("3 h old")
        return _("{n} h", n=number(seconds // 3600))
    # Translators: a ticket's age in days, short ("2 d old")
    return _("{n} d", n=number(seconds // 86400))


def _ticket_line(request: Request, now: datetime, state_text: str) -> str:
    ticket = ticket_of(request)
    what = escape(ticket.title) if ticket else escape(request.summary)
    amount = f" · {ticket.amount_text}" if ticket else ""
    flag = " :warning:" if RefundPayload.of(request).outside_window else ""
    values = {"ref": request.ref, "what": what, "amount": amount, "flag": flag,
              "state": state_text, "age": age_text(request.created_at, now),
              "requester": request.requester}
    if request.assignee:
        return _("*{ref}* {what}{amount}{flag}\n{state} · {age} old · by <@{requester}> · "
                 "handled by <@{agent}>", agent=request.assignee, **values)
    return _("*{ref}* {what}{amount}{flag}\n{state} · {age} old · by <@{requester}>", **values)


def ticket_list(
    page: TicketPage, now: datetime, state_text: Callable[[RequestState], str]
) -> tuple[str, list[Block]]:
    """`/csp refunds`: one section a ticket, and Previous/Next (fewer than 50 blocks)."""
    titles = {"open": _("Open refund tickets"), "mine": _("Your refund tickets"),
              "all": _("All refund tickets")}
    title = titles.get(page.which, titles["open"])
    blocks: list[Block] = [section(f"*{title}*")]
    if not page.tickets:
        blocks.append(section(_("No refund tickets here.") if page.page == 0 else
                              _("No more refund tickets.")))
    for request in page.tickets:
        blocks.append(section(_ticket_line(request, now, state_text(request.state))))
    pager: list[ButtonElement] = []
    if page.page > 0:
        pager.append(ButtonElement(text=plain(_("Previous")), action_id=RefundAction.PAGE,
                                   value=f"{page.which}:{page.page - 1}"))
    if page.has_more:
        pager.append(ButtonElement(text=plain(_("Next")), action_id=RefundAction.PAGE,
                                   value=f"{page.which}:{page.page + 1}"))
    if pager:
        blocks.append(ActionsBlock(block_id=B.LIST_PAGER, elements=pager))
    blocks.append(context(_("Page {n} · `/csp refunds open|mine|all`",
                            n=number(page.page + 1))))
    text = _("{title}: {n} on this page", title=title, n=number(len(page.tickets)))
    return text, blocks


# --- what the cards and DMs say of a refund ticket (its kind spec: bot.refunds.tickets) ---


def refund_facts(request: Request) -> list[tuple[str, str]]:
    """A filed ticket's Microsoft reference, among the facts of both cards."""
    reference = RefundPayload.of(request).upstream_reference
    return [(_("Microsoft ticket"), escape(str(reference)))] if reference else []


def refund_news(request: Request, ref: str, who: str) -> str | None:
    """The requester's DM for the states only a refund ticket has."""
    payload = RefundPayload.of(request)
    match request.state:
        case S.APPROVED:
            return _(":white_check_mark: Your refund ticket {ref} was approved by {who}.",
                     ref=ref, who=who)
        case S.FILED:
            if payload.upstream_reference:
                return _(":outbox_tray: Your refund ticket {ref} was filed with Microsoft under "
                         "reference `{reference}`.", ref=ref,
                         reference=escape(str(payload.upstream_reference)))
            return _(":outbox_tray: Your refund ticket {ref} was filed with Microsoft.", ref=ref)
        case S.RESOLVED:
            if payload.credited_amount:
                ticket = payload.refund
                return _(":moneybag: Your refund ticket {ref} is resolved: Microsoft credited "
                         "{credited} of {asked} requested.", ref=ref,
                         credited=credited_text(payload.credited_amount),
                         asked=ticket.amount_text if ticket else "—")
            return _(":moneybag: Your refund ticket {ref} is resolved.", ref=ref)
    return None

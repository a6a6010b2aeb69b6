"""The refund ticket as Microsoft's "CSP Purchase/Refund on behalf of customers" request needs it.

Microsoft's software-cancellation guide asks, before starting, for the customer's tenant GUID or
domain name, the order ID or subscription ID, the reason for the refund and the amount
requested; the support request itself adds an Impact, a Title, a Contact (name, email, phone)
and optional files. `RefundTicket` holds exactly that, validated field by field so a person sees
what to change next to the field (`FormErrors`), never a trace.

Pure: no I/O, no clock (`today` is passed in).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel

from bot.core import contacts
from bot.core.errors import FormErrors
from bot.core.formats import AmountError, money, money_example, parse_decimal
from bot.core.i18n import _
from bot.core.ids import BlockId, RefundBlock
from bot.pipeline.kinds import KindPayload
from bot.slack.state import ViewState

B = RefundBlock


class RefundProduct(StrEnum):
    """What was bought; each kind has its own refund window (settings)."""

    PERPETUAL = "perpetual"
    SOFTWARE_SUBSCRIPTION = "software_subscription"
    LICENSE = "license"


class RefundReason(StrEnum):
    ORDERED_BY_MISTAKE = "ordered_by_mistake"
    WRONG_PRODUCT = "wrong_product"
    WRONG_QUANTITY = "wrong_quantity"
    DUPLICATE_ORDER = "duplicate_order"
    CUSTOMER_CANCELLED = "customer_cancelled"
    NOT_DELIVERED = "not_delivered"
    OTHER = "other"


class Impact(StrEnum):
    """The Impact field of Partner Center's support request."""

    MINIMAL = "minimal"
    MODERATE = "moderate"
    CRITICAL = "critical"


#: Currencies offered for the amount requested; the settings' currency is preselected.
CURRENCIES: tuple[str, ...] = (
    "EUR", "USD", "GBP", "CHF", "SEK", "NOK", "DKK", "PLN", "CZK", "CAD", "AUD",
)  # fmt: skip

MAX_AMOUNT = Decimal("999999999.99")
MAX_ATTACHMENTS = 10
TITLE_MAX = 100
DETAILS_MAX = 2000
NAME_MAX = 100
ORDER_ID_MAX = 64
REFERENCE_MAX = 64


def product_label(product: RefundProduct) -> str:
    return {
        RefundProduct.PERPETUAL: _("Perpetual software"),
        RefundProduct.SOFTWARE_SUBSCRIPTION: _("Software subscription"),
        RefundProduct.LICENSE: _("License-based subscription"),
    }[product]


def product_in_sentence(product: RefundProduct) -> str:
    """The product type inside a sentence ("the 30-day window for {kind}"): its own text, so
    that each language decides the case (German nouns keep their capital)."""
    return {
        RefundProduct.PERPETUAL: _("perpetual software"),
        RefundProduct.SOFTWARE_SUBSCRIPTION: _("software subscriptions"),
        RefundProduct.LICENSE: _("license-based subscriptions"),
    }[product]


def reason_label(reason: RefundReason) -> str:
    return {
        RefundReason.ORDERED_BY_MISTAKE: _("Ordered by mistake"),
        RefundReason.WRONG_PRODUCT: _("Wrong product or edition"),
        RefundReason.WRONG_QUANTITY: _("Wrong quantity"),
        RefundReason.DUPLICATE_ORDER: _("Duplicate order"),
        RefundReason.CUSTOMER_CANCELLED: _("Customer cancelled the purchase"),
        RefundReason.NOT_DELIVERED: _("Key or download never delivered"),
        RefundReason.OTHER: _("Other (explain below)"),
    }[reason]


def impact_label(impact: Impact) -> str:
    return {
        Impact.MINIMAL: _("Minimal: no business impact"),
        Impact.MODERATE: _("Moderate: the customer is affected"),
        Impact.CRITICAL: _("Critical: the customer is blocked"),
    }[impact]


# --- one validator per field: value in, clean value out, ValueError(message) otherwise ------

_GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")
_TLD = re.compile(r"(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})")
_ORDER_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
_EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@([A-Za-z0-9.-]+)")
_PHONE = re.compile(r"\+?[0-9 ().\-/]+")
_SLACK_FILE_PATH = re.compile(r"/(files/[UW][A-Z0-9]+/F[A-Z0-9]+|files-pri/T[A-Z0-9]+-F[A-Z0-9]+)")
_REFERENCE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_#./-]*")


def is_guid(text: str) -> bool:
    return bool(_GUID.fullmatch(text.strip().strip("{}").lower()))


def is_domain(text: str) -> bool:
    name = text.strip().lower().rstrip(".")
    labels = name.split(".")
    return (
        0 < len(name) <= 253
        and len(labels) >= 2
        and all(_LABEL.fullmatch(label) for label in labels)
        and bool(_TLD.fullmatch(labels[-1]))
    )


def clean_customer_tenant(text: str | None) -> str:
    """A tenant GUID (8-4-4-4-12 hex) or a domain name such as contoso.onmicrosoft.com."""
    value = (text or "").strip()
    if not value:
        raise ValueError(_("Give the customer's tenant GUID or domain name."))
    if is_guid(value):
        return value.strip("{}").lower()
    if "@" in value:
        raise ValueError(
            _("That is an email address: give the part after the @ (a domain name) instead.")
        )
    if value.lower().startswith(("http://", "https://")):
        value = urlsplit(value).hostname or ""
    if is_domain(value):
        return value.lower().rstrip(".")
    if re.fullmatch(r"[0-9a-fA-F{}-]{20,}", value):
        raise ValueError(
            _("That is not a tenant GUID: it has 32 hex digits as 8-4-4-4-12, e.g. "
              "0f9e8d7c-6b5a-4f3e-9d2c-1b0a9f8e7d6c.")
        )
    raise ValueError(
        _("Give a tenant GUID (8-4-4-4-12 hex digits) or a domain name such as "
          "contoso.onmicrosoft.com.")
    )


def clean_order_id(text: str | None) -> str:
    value = (text or "").strip()
    if not value:
        raise ValueError(_("Give the order ID or the subscription ID of the purchase."))
    if len(value) > ORDER_ID_MAX or not _ORDER_ID.fullmatch(value):
        raise ValueError(
            _("An order or subscription ID has letters, digits and hyphens only "
              "(at most {n} characters), as shown in Partner Center.", n=ORDER_ID_MAX)
        )
    return value


def clean_purchase_date(text: str | None, today: date) -> date:
    if not text:
        raise ValueError(_("Pick the date of the purchase."))
    try:
        when = date.fromisoformat(text)
    except ValueError:
        raise ValueError(_("Pick the date of the purchase from the calendar.")) from None
    if when > today:
        raise ValueError(_("The purchase date can't be in the future."))
    return when


def clean_amount(text: str | None) -> Decimal:
    """A positive amount with at most two decimals, typed the reader's way: `1.234,50`,
    `1,234.50` and `1 234,50` are all 1234.50 (`bot.core.formats.parse_decimal`)."""
    value = (text or "").strip()
    if not value:
        raise ValueError(_("Give the amount requested, e.g. {example}.",
                           example=money_example()))
    if value.startswith("-") and value[1:].strip()[:1].isdigit():
        raise ValueError(_("The amount must be more than zero."))
    if sum(c.isdigit() for c in value) > 14 and "." not in value and "," not in value:
        raise ValueError(_("That amount is too large; check it."))
    try:
        amount = parse_decimal(value[:64])
    except AmountError as exc:
        raise ValueError(str(exc)) from None
    if not amount.is_finite() or amount <= 0:
        raise ValueError(_("The amount must be more than zero."))
    if amount.as_tuple().exponent < -2:  # type: ignore[operator]
        raise ValueError(_("Give the amount with at most two decimals."))
    if amount > MAX_AMOUNT:
        raise ValueError(_("That amount is too large; check it."))
    return amount.quantize(Decimal("0.01"))


def clean_credited_amount(text: str | None) -> Decimal:
    """What Microsoft credited: like the amount requested, but 0 says the refund was refused."""
    value = (text or "").strip()
    if value and value.replace(",", ".").strip("0.") == "" and any(c == "0" for c in value):
        return Decimal("0.00")
    if not value:
        raise ValueError(_("Give the amount Microsoft credited (0 if it refused the refund)."))
    return clean_amount(value)


def clean_currency(code: str | None) -> str:
    if not code:
        raise ValueError(_("Choose the currency of the amount."))
    if code not in CURRENCIES:
        raise ValueError(_("Choose one of the listed currencies."))
    return code


def clean_text(text: str | None, *, missing: str, low: int, high: int) -> str:
    value = " ".join((text or "").split())
    if not value:
        raise ValueError(missing)
    if len(value) < low:
        raise ValueError(_("Write at least {n} characters.", n=low))
    if len(value) > high:
        raise ValueError(_("Keep it to {n} characters.", n=high))
    return value


def clean_title(text: str | None) -> str:
    return clean_text(text, missing=_("Give the request a title."), low=5, high=TITLE_MAX)


def clean_contact_name(text: str | None) -> str:
    return clean_text(text, missing=_("Give the contact's name."), low=2, high=NAME_MAX)


def clean_email(text: str | None) -> str:
    value = (text or "").strip()
    if not value:
        raise ValueError(_("Give the contact's email address."))
    match = _EMAIL.fullmatch(value)
    if match is None or not is_domain(match.group(1)) or len(value) > 254:
        raise ValueError(_("That is not an email address; write it as name@example.com."))
    try:  # the one rule of every form (`bot.core.contacts`)
        contacts.parse_email(value)
    except contacts.ContactError:
        raise ValueError(_("That is not an email address; write it as name@example.com.")) from None
    return value


def clean_phone(text: str | None) -> str:
    value = (text or "").strip()
    if not value:
        raise ValueError(_("Give the contact's phone number."))
    digits = sum(c.isdigit() for c in value)
    if not _PHONE.fullmatch(value) or not 7 <= digits <= 15 or "+" in value[1:]:
        raise ValueError(
            _("Write the phone number with its country code, e.g. +31 10 234 5678 "
              "(7 to 15 digits).")
        )
    return value


def clean_attachments(text: str | None) -> list[str]:
    """Links to files shared in Slack, one a line: only the references are kept."""
    links = [line.strip() for line in (text or "").splitlines() if line.strip()]
    if len(links) > MAX_ATTACHMENTS:
        raise ValueError(_("Attach at most {n} files.", n=MAX_ATTACHMENTS))
    for link in links:
        parts = urlsplit(link)
        host = (parts.hostname or "").lower()
        if (
            parts.scheme != "https"
            or not (host == "slack.com" or host.endswith(".slack.com"))
            or not _SLACK_FILE_PATH.match(parts.path)
        ):
            raise ValueError(
                _("{link} is not a link to a file in Slack. Share the file in Slack, choose "
                  "“Copy link” and paste one link a line.", link=link[:80])
            )
    return links


def clean_reference(text: str | None) -> str:
    """The upstream (Partner Center) support ticket reference."""
    value = (text or "").strip()
    if not value:
        raise ValueError(_("Give the reference of the Partner Center support request."))
    if len(value) > REFERENCE_MAX or not _REFERENCE.fullmatch(value):
        raise ValueError(
            _("A ticket reference has letters, digits and - . / # only (at most {n}).",
              n=REFERENCE_MAX)
        )
    return value


# --- the ticket --------------------------------------------------------------------------------


class RefundTicket(BaseModel):
    """Everything Microsoft's refund request needs, as the requester confirmed it."""

    customer_tenant: str
    order_id: str
    product: RefundProduct
    purchased_on: date
    reason: RefundReason
    reason_details: str = ""
    amount: Decimal
    currency: str
    impact: Impact
    title: str
    contact_name: str
    contact_email: str
    contact_phone: str
    attachments: list[str] = []
    acknowledged_outside_window: bool = False
    #: The cached license group (service name) the purchase belongs to, when one was picked.
    license_group: str | None = None

    @property
    def customer_tenant_is_guid(self) -> bool:
        return is_guid(self.customer_tenant)

    @property
    def amount_text(self) -> str:
        return money(self.amount, self.currency)

    @property
    def reason_text(self) -> str:
        """The reason as Microsoft reads it: the choice, then the explanation."""
        label = reason_label(self.reason)
        if self.reason is RefundReason.OTHER:
            return self.reason_details
        return f"{label}: {self.reason_details}" if self.reason_details else label

    def to_payload(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    @classmethod
    def from_payload(cls, data: Mapping[str, Any]) -> RefundTicket:
        return cls.model_validate(data)


class RefundPayload(KindPayload):
    """What a refund ticket keeps in `requests.payload`: the ticket as confirmed, whether it
    was filed outside Microsoft's window, and what later steps added (the Microsoft reference
    when filed, the amount credited when resolved)."""

    refund: RefundTicket | None = None
    outside_window: bool = False
    window_days: int | None = None
    upstream_reference: str | None = None
    credited_amount: str | None = None


# --- reading the modal -------------------------------------------------------------------------


def _enum(kind: type[StrEnum], value: str | None, missing: str) -> StrEnum:
    if value is None:
        raise ValueError(missing)
    try:
        return kind(value)
    except ValueError:
        raise ValueError(missing) from None


def parse_refund_form(values: ViewState | Mapping[str, Any], today: date) -> RefundTicket:
    """`view.state.values` → a ticket, or FormErrors with a message next to every bad field."""
    state = ViewState(values)
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}

    def field(block: str, name: str, fn: Callable[..., Any], *args: Any) -> None:
        try:
            clean[name] = fn(*args)
        except ValueError as exc:
            errors[block] = str(exc)

    field(B.CUSTOMER_TENANT, "customer_tenant", clean_customer_tenant,
          state.raw(B.CUSTOMER_TENANT))
    field(B.ORDER_ID, "order_id", clean_order_id, state.raw(B.ORDER_ID))
    field(B.PRODUCT, "product", _enum, RefundProduct, state.choice(B.PRODUCT),
          _("Choose what was bought."))
    field(B.PURCHASE_DATE, "purchased_on", clean_purchase_date,
          state.date(B.PURCHASE_DATE), today)
    field(B.REASON, "reason", _enum, RefundReason, state.choice(B.REASON),
          _("Choose the reason for the refund."))
    details = " ".join((state.raw(B.REASON_DETAILS) or "").split())
    if len(details) > DETAILS_MAX:
        errors[B.REASON_DETAILS] = _("Keep it to {n} characters.", n=DETAILS_MAX)
    elif clean.get("reason") is RefundReason.OTHER and len(details) < 10:
        errors[B.REASON_DETAILS] = _("Explain the reason in a sentence (Microsoft reads it).")
    clean["reason_details"] = details
    field(B.AMOUNT, "amount", clean_amount, state.raw(B.AMOUNT))
    field(B.CURRENCY, "currency", clean_currency, state.choice(B.CURRENCY))
    field(B.IMPACT, "impact", _enum, Impact, state.choice(B.IMPACT),
          _("Choose the impact on the customer."))
    field(B.TITLE, "title", clean_title, state.raw(B.TITLE))
    field(B.CONTACT_NAME, "contact_name", clean_contact_name, state.raw(B.CONTACT_NAME))
    field(B.CONTACT_EMAIL, "contact_email", clean_email, state.raw(B.CONTACT_EMAIL))
    field(B.CONTACT_PHONE, "contact_phone", clean_phone, state.raw(B.CONTACT_PHONE))
    field(B.ATTACHMENTS, "attachments", clean_attachments, state.raw(B.ATTACHMENTS))
    clean["acknowledged_outside_window"] = bool(state.chosen(B.ACKNOWLEDGE))
    clean["license_group"] = state.choice(BlockId.TENANT)
    if errors:
        raise FormErrors(errors)
    return RefundTicket(**clean)

"""The order modal's state, parsed into typed orders (pydantic), with errors keyed by block id.

The modal has two modes: licenses for an existing license group, and a new license group. Both
carry license lines; a line is identified by a key that stays the same while the line exists
(`line_block`), so Slack keeps what was typed in a line when another is added or removed.
This module checks what can be checked without the cache (numbers, formats, duplicates);
`bot.orders.plans` checks the rest (orderable, limits, add-on parents) against the cache.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    Field,
    ValidationError,
)
from pydantic_core import ErrorDetails

from bot.core import contacts
from bot.core.domain import CustomerContact, LicenseLine, NewTenantOrder
from bot.core.errors import FormErrors
from bot.core.formats import number
from bot.core.i18n import N_, _, ngettext
from bot.core.ids import BlockId, OrderBlock
from bot.core.numbers import NumberError, Problem, id_of, parse_whole
from bot.pipeline.kinds import KindPayload
from bot.reference.countries import COUNTRIES
from bot.slack.metadata import Metadata
from bot.slack.state import ViewState

#: Lines one order may hold: four blocks a line keeps the modal far below Slack's 100 blocks.
MAX_LINES = 10
NOTE_MAX = 1000
#: More licenses than one line can order: no license group holds that many.
MAX_QUANTITY = 100_000
ONMICROSOFT = ".onmicrosoft.com"


class OrderMode(StrEnum):
    EXISTING = "existing"  # licenses for a license group we already have
    NEW_GROUP = "new"  # a new license group (a new Microsoft tenant)


class LineField(StrEnum):
    LICENSE = "license"
    PARENT = "parent"
    QUANTITY = "quantity"


_LINE_BLOCKS = {
    LineField.LICENSE: OrderBlock.LINE_LICENSE,
    LineField.PARENT: OrderBlock.LINE_PARENT,
    LineField.QUANTITY: OrderBlock.LINE_QUANTITY,
}


def line_block(kind: OrderBlock | LineField, key: str) -> str:
    """The block id of one part of a license line: `order_line_quantity.3`."""
    block = _LINE_BLOCKS.get(kind, kind) if isinstance(kind, LineField) else kind
    return f"{block}.{key}"


class OrderMeta(Metadata):
    """What the modal carries from one update to the next (its private_metadata)."""

    mode: OrderMode = OrderMode.EXISTING
    lines: list[str] = Field(default_factory=lambda: ["1"])
    next_key: int = 2
    channel: str | None = None
    #: The license group the lines' choices were built for.
    tenant: str | None = None
    #: "Order add-on" on a subscription: the parent an add-on line is attached to at first.
    parent: int | None = None

    def fresh_key(self) -> str:
        key = str(self.next_key)
        self.next_key += 1
        return key

    def add_line(self) -> str | None:
        if len(self.lines) >= MAX_LINES:
            return None
        key = self.fresh_key()
        self.lines.append(key)
        return key

    def remove_line(self, key: str) -> None:
        if key in self.lines and len(self.lines) > 1:
            self.lines.remove(key)

    def renew_line(self, key: str) -> str:
        """Gives a line a new key, so its blocks start empty (Slack keeps values by block id)."""
        new = self.fresh_key()
        self.lines[self.lines.index(key)] = new
        return new

    def number(self, key: str) -> int:
        return self.lines.index(key) + 1


# --- field rules (each raises ValueError with the words shown next to the field) -------------


def _required(message: str) -> Callable[[Any], Any]:
    """A check that refuses an empty value with `message` (marked with `N_()`: the models are
    built at import, the words are translated when a person leaves the field empty)."""

    def check(value: Any) -> Any:
        if value is None or (isinstance(value, str) and not value.strip()):
            raise ValueError(_(message))
        return value.strip() if isinstance(value, str) else value

    return check


def parse_quantity(value: Any) -> int:
    try:
        quantity = parse_whole(value, maximum=MAX_QUANTITY, plus=True)
    except NumberError as exc:
        raise ValueError({
            Problem.EMPTY: _("Enter how many licenses to order."),
            Problem.NEGATIVE: _("A quantity can't be negative: enter how many licenses to add."),
            Problem.NOT_WHOLE: _("Enter the quantity as a whole number, e.g. 5."),
            Problem.TOO_LARGE: _("That is more licenses than any license group can hold (at "
                                 "most {n}).", n=number(MAX_QUANTITY)),
        }[exc.problem]) from None
    if quantity == 0:
        raise ValueError(_("Order at least 1 license (0 orders nothing)."))
    return quantity


def parse_mpn_id(value: Any) -> str:
    text = re.sub(r"\s+", "", str(value or ""))
    if not text:
        raise ValueError(_("Enter your MPN ID: Microsoft requires it for every new group."))
    if not re.fullmatch(r"\d{6,10}", text):
        raise ValueError(
            _("An MPN ID is 6 to 10 digits (Partner Center → Account settings → Identifiers).")
        )
    return text


def parse_subdomain(value: Any) -> str | None:
    text = str(value or "").strip().lower()
    if text.endswith(ONMICROSOFT):
        text = text[: -len(ONMICROSOFT)]
    if not text:
        return None
    if not re.fullmatch(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?", text):
        raise ValueError(
            _(
                "Use 1 to 63 letters, digits or hyphens, not starting or ending with a hyphen "
                "(e.g. nordwind-logistics)."
            )
        )
    return text


def parse_email(value: Any) -> str:
    text = str(value or "").strip()
    if not text:
        raise ValueError(_("Enter the email address the Microsoft admin credentials go to."))
    try:
        return contacts.parse_email(text)
    except contacts.ContactError:
        raise ValueError(
            _("{email} is not a valid email address, e.g. it.admin@example.com.",
              email=text)
        ) from None


def parse_phone(value: Any) -> str:
    """The contact's number in OVHcloud's form (`+31.102345678`), from any way of writing it
    with its country code (`bot.core.contacts`)."""
    text = str(value or "").strip()
    if not text:
        raise ValueError(_("Enter the contact's phone number."))
    try:
        return contacts.parse_phone(text)
    except contacts.ContactError:
        raise ValueError(
            _(
                "Enter the phone number in international format: + then 6 to 20 digits, "
                "e.g. +31 10 234 5678."
            )
        ) from None


def parse_zip_code(value: Any) -> str:
    text = str(value or "").strip()
    if not text:
        raise ValueError(_("Enter the zip code."))
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9 -]{0,10}[A-Za-z0-9]", text):
        raise ValueError(_("A zip code is 2 to 12 letters, digits, spaces or hyphens."))
    return text


def parse_country(value: Any) -> str:
    code = str(value or "").strip().upper()
    if not code:
        raise ValueError(_("Choose the country."))
    if code not in COUNTRIES:
        raise ValueError(_("{code} is not an ISO 3166 country code.", code=code))
    return code


def _optional_id(value: Any) -> int | None:
    if value is None or value == "":
        return None
    number = id_of(value)
    if number is None:
        raise ValueError(_("That choice is not valid any more: choose again."))
    return number


Quantity = Annotated[int, BeforeValidator(parse_quantity)]
Text = Annotated[
    str, BeforeValidator(_required(N_("This field is required."))), Field(max_length=255)
]


# --- the parsed orders -----------------------------------------------------------------------


class OrderLine(BaseModel):
    """One line of an order: a license and a quantity (and, for an add-on, its parent)."""

    key: str
    number: int
    license_id: Annotated[
        int, BeforeValidator(_required(N_("Choose a license, or remove this line.")))
    ]
    quantity: Quantity
    parent_subscription_id: Annotated[int | None, BeforeValidator(_optional_id)] = None
    #: Whether the modal showed a parent choice for this line (it does for add-ons).
    has_parent_field: bool = False

    def block(self, field: LineField) -> str:
        if field is LineField.PARENT and not self.has_parent_field:
            field = LineField.LICENSE  # no parent field to point at: say it at the license
        return line_block(field, self.key)


class ExistingGroupOrderForm(BaseModel):
    tenant: Annotated[str, BeforeValidator(_required(N_("Choose the license group.")))]
    lines: list[OrderLine]
    note: Annotated[str | None, Field(max_length=NOTE_MAX)] = None
    meta: OrderMeta


class NewGroupOrderForm(BaseModel):
    mpn_id: Annotated[str, BeforeValidator(parse_mpn_id)]
    subdomain: Annotated[str | None, BeforeValidator(parse_subdomain)] = None
    display_name: Annotated[str | None, Field(max_length=255)] = None
    first_name: Text
    last_name: Text
    email: Annotated[str, BeforeValidator(parse_email)]
    phone: Annotated[str, BeforeValidator(parse_phone)]
    address: Text
    city: Text
    zip_code: Annotated[str, BeforeValidator(parse_zip_code)]
    country: Annotated[str, BeforeValidator(parse_country)]
    lines: list[OrderLine] = []
    note: Annotated[str | None, Field(max_length=NOTE_MAX)] = None
    meta: OrderMeta = Field(default_factory=OrderMeta)

    @property
    def contact(self) -> CustomerContact:
        return CustomerContact(
            first_name=self.first_name,
            last_name=self.last_name,
            email=self.email,
            phone=self.phone,
            address=self.address,
            city=self.city,
            zip_code=self.zip_code,
            country=self.country,
        )

    def tenant_order(self) -> NewTenantOrder:
        return NewTenantOrder(
            mpn_id=self.mpn_id,
            subdomain=self.subdomain,
            contact=self.contact,
            licenses=[
                LicenseLine(license_id=x.license_id, quantity=x.quantity) for x in self.lines
            ],
            display_name=self.display_name,
        )


OrderForm = ExistingGroupOrderForm | NewGroupOrderForm

#: The input block of each field of the new-group form.
NEW_GROUP_BLOCKS: dict[str, str] = {
    "mpn_id": OrderBlock.MPN_ID,
    "subdomain": OrderBlock.SUBDOMAIN,
    "display_name": OrderBlock.DISPLAY_NAME,
    "first_name": OrderBlock.FIRST_NAME,
    "last_name": OrderBlock.LAST_NAME,
    "email": OrderBlock.EMAIL,
    "phone": OrderBlock.PHONE,
    "address": OrderBlock.ADDRESS,
    "city": OrderBlock.CITY,
    "zip_code": OrderBlock.ZIP_CODE,
    "country": OrderBlock.COUNTRY,
    "note": OrderBlock.NOTE,
}


# --- parsing ---------------------------------------------------------------------------------


def _message(error: ErrorDetails) -> str:
    """Our own words for a field; pydantic's only for what a plain model check found."""
    found = (error.get("ctx") or {}).get("error")
    if isinstance(found, ValueError):
        return str(found)
    if error.get("type") == "string_too_long":
        limit = (error.get("ctx") or {}).get("max_length")
        return ngettext("Keep this under {n} character.", "Keep this under {n} characters.",
                        int(limit or 0))
    if error.get("type") == "missing":
        return _("This field is required.")
    return _("This value is not valid.")


def _collect(error: ValidationError, blocks: Mapping[str, str], errors: dict[str, str]) -> None:
    for item in error.errors():
        field = str(item["loc"][0]) if item.get("loc") else ""
        block = blocks.get(field)
        if block is not None:
            errors.setdefault(block, _message(item))


def parse_lines(state: ViewState, meta: OrderMeta, errors: dict[str, str]) -> list[OrderLine]:
    """Every line of the modal, in order; bad lines add their errors and are left out."""
    lines: list[OrderLine] = []
    for position, key in enumerate(meta.lines, start=1):
        if not state.has(line_block(LineField.LICENSE, key)):
            continue  # not shown (no group chosen yet, or nothing to offer)
        parent_block = line_block(LineField.PARENT, key)
        data = {
            "key": key,
            "number": position,
            "license_id": state.get(line_block(LineField.LICENSE, key)),
            "quantity": state.get(line_block(LineField.QUANTITY, key)),
            "parent_subscription_id": state.get(parent_block),
            "has_parent_field": state.has(parent_block),
        }
        blocks = {
            "license_id": line_block(LineField.LICENSE, key),
            "quantity": line_block(LineField.QUANTITY, key),
            "parent_subscription_id": parent_block,
        }
        try:
            line = OrderLine.model_validate(data)
        except ValidationError as exc:
            _collect(exc, blocks, errors)
            continue
        if line.has_parent_field and line.parent_subscription_id is None:
            errors[parent_block] = _("Choose the subscription this add-on attaches to.")
            continue
        lines.append(line)
    _refuse_duplicates(lines, errors)
    return lines


def _refuse_duplicates(lines: list[OrderLine], errors: dict[str, str]) -> None:
    seen: dict[tuple[int, int | None], OrderLine] = {}
    for line in lines:
        same = seen.get((line.license_id, line.parent_subscription_id))
        if same is not None:
            errors.setdefault(
                line.block(LineField.LICENSE),
                _(
                    "This license is already on line {n}: put all its licenses on one line.",
                    n=same.number,
                ),
            )
        else:
            seen[(line.license_id, line.parent_subscription_id)] = line


def parse_order_form(values: ViewState | Mapping[str, Any], meta: OrderMeta) -> OrderForm:
    """`view.state.values` → an order form, or FormErrors next to every field that is wrong."""
    state = ViewState(values)
    errors: dict[str, str] = {}
    lines = parse_lines(state, meta, errors)
    note = state.get(OrderBlock.NOTE)
    if meta.mode is OrderMode.NEW_GROUP:
        data: dict[str, Any] = {f: state.get(b) for f, b in NEW_GROUP_BLOCKS.items()}
        data.update(lines=lines, note=note, meta=meta)
        try:
            form: OrderForm = NewGroupOrderForm.model_validate(data)
        except ValidationError as exc:
            _collect(exc, NEW_GROUP_BLOCKS, errors)
            raise FormErrors(errors) from None
    else:
        data = {"tenant": state.get(BlockId.TENANT), "lines": lines, "note": note, "meta": meta}
        try:
            form = ExistingGroupOrderForm.model_validate(data)
        except ValidationError as exc:
            _collect(exc, {"tenant": BlockId.TENANT, "note": OrderBlock.NOTE}, errors)
            raise FormErrors(errors) from None
    if errors:
        raise FormErrors(errors)
    return form


# --- what a confirmed order keeps (`requests.payload`) -------------------------------------


class OrderLinePayload(BaseModel):
    """One order line as confirmed: ids for the worker, the names people chose from."""

    license_id: int
    license_name: str | None = None
    quantity: int | None = None
    parent_subscription_id: int | None = None
    unit_price: str | None = None


class OrderPayload(KindPayload):
    """What an order keeps in `requests.payload`: its lines, their total, the requester's note,
    and for a new license group the order placed with OVHcloud."""

    lines: list[OrderLinePayload] = Field(default_factory=list)
    currency: str | None = None
    monthly_total: str | None = None
    note: str | None = None
    new_group: NewTenantOrder | None = None

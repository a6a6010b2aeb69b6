"""What a new license group's order puts in the order cart's configuration, label by label.

Shared by the OVHcloud client (to fill the cart) and the sandbox (to decide, like the real cart
would, whether an order is complete), so both backends refuse the same orders.

The shape comes from OVHcloud's order schema (`order.cart.ConfigurationRequirements` =
`{label, type, required, fields}`, UrielCh/api-ovh-node `code/gen/models/ovh-api/order.ts`)
and from OVHcloud's guide to cart configuration (ovh/order-cart-examples,
docs/configuration.en.md): three simple types — Boolean (the strings "true"/"false"),
Integer (digits only), String — and complex types named by an API path, such as
`/me/contact`: the resource is created first (`POST /me/contact` with at least the listed
`fields`) and its path (`/me/contact/{id}`) is the value. The csp2 labels themselves are
unpublished: the aliases below are inferred, so a label the bot cannot fill is reported by
name before anything is created or ordered.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator

from bot.core.domain import NewTenantOrder

#: OVHcloud does not publish the configuration labels of a csp2 cart item. These are the
#: spellings we accept for the facts the order form collects; labels are compared after
#: `normalize_label` (case, spaces and punctuation ignored).
_ORDER_LABELS: dict[str, tuple[str, ...]] = {
    "mpn_id": ("mpnid", "mpn", "partnerid", "microsoftpartnerid"),
    "subdomain": ("subdomain", "domain", "customdomain", "customsubdomain", "tenantdomain"),
    "display_name": (
        "displayname",
        "companyname",
        "company",
        "organizationname",
        "organisationname",
        "customername",
    ),
    "first_name": ("firstname", "givenname"),
    "last_name": ("lastname", "surname", "familyname"),
    "email": ("email", "emailaddress", "contactemail"),
    "phone": ("phone", "phonenumber", "telephone"),
    "address": ("address", "streetaddress", "street"),
    "city": ("city", "town"),
    "zip_code": ("zipcode", "zip", "postalcode", "postcode"),
    "country": ("country", "countrycode"),
}
_LABEL_TO_FIELD = {alias: field for field, aliases in _ORDER_LABELS.items() for alias in aliases}
#: Facts an order may leave out: a Boolean label about one of them asks whether it is given
#: (e.g. "customSubdomain": "true" when the order names a subdomain). Inferred.
_OPTIONAL_FACTS = frozenset({"subdomain", "display_name"})
#: The facts in words, for the reasons people read.
_FACT_WORDS = {
    "mpn_id": "MPN ID",
    "subdomain": "subdomain",
    "display_name": "company name",
    "first_name": "first name",
    "last_name": "last name",
    "email": "email address",
    "phone": "phone number",
    "address": "address",
    "city": "city",
    "zip_code": "postcode",
    "country": "country",
}

CONTACT_TYPE = "/me/contact"
#: `nichandle.LanguageEnum` of OVHcloud's /me schema (me.ts): a contact must carry one.
CONTACT_LANGUAGES = (
    "cs_CZ", "de_DE", "en_AU", "en_CA", "en_GB", "en_IE", "en_US", "es_ES", "fi_FI", "fr_CA",
    "fr_FR", "fr_MA", "fr_SN", "fr_TN", "it_IT", "lt_LT", "nl_NL", "pl_PL", "pt_PT",
)  # fmt: skip
_LANGUAGE_OF_COUNTRY = {
    **{code[-2:]: code for code in CONTACT_LANGUAGES},
    "AT": "de_DE", "BE": "fr_FR", "CH": "de_DE", "LU": "fr_FR", "MC": "fr_FR", "NZ": "en_AU",
}  # fmt: skip


def normalize_label(label: str) -> str:
    return re.sub(r"[^a-z0-9]", "", label.lower())


def order_field(label: str) -> str | None:
    """The NewTenantOrder field a cart label asks for ("mpn_id", "email" …), if we know it."""
    return _LABEL_TO_FIELD.get(normalize_label(label))


def order_configuration_value(order: NewTenantOrder, label: str) -> str | None:
    """The text an order gives for a cart configuration label, or None when it has none."""
    field = order_field(label)
    if field is None:
        return None
    if field in ("mpn_id", "subdomain", "display_name"):
        value = getattr(order, field)
    else:
        value = getattr(order.contact, field)
    return str(value) if value else None


# --- requirements and how each is filled ------------------------------------------------------


class Requirement(BaseModel):
    """One entry of `GET /order/cart/{cartId}/item/{itemId}/requiredConfiguration`, read
    leniently: a missing `type` reads as String, a missing `required` as required."""

    model_config = ConfigDict(extra="ignore")

    label: str
    type: str = "String"
    required: bool = True
    fields: list[str] | None = None

    @field_validator("type", mode="before")
    @classmethod
    def _type(cls, value: Any) -> str:
        return "String" if value in (None, "") else str(value)

    @property
    def kind(self) -> str:
        """ "string", "boolean", "integer", or the API path of a complex type."""
        if self.type.startswith("/"):
            return self.type.rstrip("/")
        return {"bool": "boolean", "int": "integer", "long": "integer"}.get(
            self.type.lower(), self.type.lower()
        )


@dataclass(frozen=True)
class Fill:
    """How one label is filled: a simple `value`, or a `contact` to create first (its path,
    `/me/contact/{id}`, is then the value)."""

    label: str
    value: str | None = None
    contact: dict[str, Any] | None = None


@dataclass(frozen=True)
class Gap:
    """A required label the order cannot fill, and why, in plain words."""

    label: str
    reason: str

    def __str__(self) -> str:
        return f"“{self.label}” ({self.reason})"


def fill(order: NewTenantOrder, req: Requirement) -> Fill | Gap | None:
    """How `order` fills `req`; None for an optional label it has nothing for."""
    kind = req.kind
    if kind == CONTACT_TYPE:
        body, missing = contact_body(order, req.fields)
        if missing:
            return Gap(req.label, "a contact with " + ", ".join(missing) + ", which the order "
                       "form does not ask for") if req.required else None  # fmt: skip
        return Fill(req.label, contact=body)
    if kind.startswith("/"):
        why = f"a {req.type} resource, which the bot cannot create"
        return Gap(req.label, why) if req.required else None
    field = order_field(req.label)
    text = order_configuration_value(order, req.label)
    value: str | None
    if field is None:
        value, why = None, "the order form does not ask for it"
    elif kind == "string":
        value, why = text, f"the order gives no {_FACT_WORDS[field]}"
    elif kind == "integer":
        digits = (text or "").strip()
        value = digits if digits.isdigit() else None
        why = f"a whole number, and the order's {_FACT_WORDS[field]} is not one"
    elif kind == "boolean" and field in _OPTIONAL_FACTS:
        value, why = ("true" if text else "false"), ""
    else:
        value, why = None, f"of type {req.type}, which the bot cannot give"
    if value is not None:
        return Fill(req.label, value=value)
    return Gap(req.label, why) if req.required else None


def plan(order: NewTenantOrder, requirements: list[Requirement]) -> tuple[list[Fill], list[Gap]]:
    """Every label `order` fills, and every required one it cannot (each label once)."""
    fills: list[Fill] = []
    gaps: list[Gap] = []
    seen: set[str] = set()
    for req in requirements:
        if req.label in seen:
            continue
        seen.add(req.label)
        found = fill(order, req)
        if isinstance(found, Gap):
            gaps.append(found)
        elif found is not None:
            fills.append(found)
    return fills, gaps


def contact_body(
    order: NewTenantOrder, fields: list[str] | None = None
) -> tuple[dict[str, Any], list[str]]:
    """The `POST /me/contact` body for the end customer (`me.contact.Contact`), and the
    `fields` it cannot give. `language` and `legalForm` are required by the schema: the
    language follows the customer's country (`en_GB` when OVHcloud offers none for it), and
    the legal form is "corporation" since a CSP customer is an organisation (inferred)."""
    c = order.contact
    body: dict[str, Any] = {
        "firstName": c.first_name,
        "lastName": c.last_name,
        "email": c.email,
        "phone": c.phone,
        "address": {"line1": c.address, "city": c.city, "zip": c.zip_code, "country": c.country},
        "language": _LANGUAGE_OF_COUNTRY.get(c.country.upper(), "en_GB"),
        "legalForm": "corporation",
    }
    if order.display_name:
        body["organisationName"] = order.display_name
    missing = []
    for name in fields or []:
        top, _, sub = name.partition(".")
        known = body.get(top)
        if known is None or (sub and not isinstance(known, dict)) or (sub and sub not in known):
            missing.append(name)
    return body, missing


def contact_value(contact_id: Any) -> str:
    """The configuration value that points at a created contact."""
    return f"{CONTACT_TYPE}/{contact_id}"

"""What a new license group's order puts in the order cart's configuration, label by label.

Shared by the OVHcloud client (to fill the cart) and the sandbox (to decide, like the real cart
would, whether an order is complete), so both backends refuse the same orders.
"""

from __future__ import annotations

import re

from bot.domain import NewTenantOrder

#: OVHcloud does not publish the configuration labels of a csp2 cart item. These are the
#: spellings we accept for the facts the order form collects; labels are compared after
#: `normalize_label` (case, spaces and punctuation ignored).
_ORDER_LABELS: dict[str, tuple[str, ...]] = {
    "mpn_id": ("mpnid", "mpn", "partnerid", "microsoftpartnerid"),
    "subdomain": ("subdomain", "domain", "customdomain", "tenantdomain"),
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


def normalize_label(label: str) -> str:
    return re.sub(r"[^a-z0-9]", "", label.lower())


def order_field(label: str) -> str | None:
    """The NewTenantOrder field a cart label asks for ("mpn_id", "email" …), if we know it."""
    return _LABEL_TO_FIELD.get(normalize_label(label))


def order_configuration_value(order: NewTenantOrder, label: str) -> str | None:
    """The value an order gives for a cart configuration label, or None when it has none.

    Shared by the OVHcloud client (to fill the cart) and the sandbox (to decide, like the real
    cart would, whether an order is complete), so both backends refuse the same orders.
    """
    field = order_field(label)
    if field is None:
        return None
    if field in ("mpn_id", "subdomain", "display_name"):
        value = getattr(order, field)
    else:
        value = getattr(order.contact, field)
    return str(value) if value else None

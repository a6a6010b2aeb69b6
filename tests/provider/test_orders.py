"""Ordering a new license group, part of the CspProvider contract: run against the in-process
sandbox and against OvhProvider over HTTP to the sandbox server (see conftest), in both shapes
the cart's catalogue may take, with every kind of configuration label the cart may ask for.

The HTTP runs also check what the client sends: the cart's shape, the `/me/contact` made for a
complex label, the values of Boolean and Integer labels, and that nothing outside the cart is
written (no contact, no configuration, no checkout) when a required label cannot be filled.
"""

from __future__ import annotations

import pytest

from bot.core.domain import CustomerContact, LicenseLine, NewTenantOrder, TenantStatus
from bot.provider.base import BadParameters, UnfillableConfiguration
from bot.provider.cart_config import Requirement
from bot.provider.sandbox import CONTACT_FIELDS, ITEMS_SHAPE, OPTIONS_SHAPE, STRING_REQUIREMENTS
from bot.provider.sandbox_data import (
    BUSINESS_STANDARD,
    OFFICE_E3,
    TEAMS_AUDIO_CONFERENCING,
)
from tests.provider.conftest import Backend

SHAPES = [OPTIONS_SHAPE, ITEMS_SHAPE]


def new_order(**changes) -> NewTenantOrder:
    contact = CustomerContact(
        first_name="Sanne",
        last_name="Jansen",
        email="sanne@hollandse-fietsen.nl",
        phone="+31.201234567",
        address="Prinsengracht 12",
        city="Amsterdam",
        zip_code="1015 DV",
        country="NL",
    )
    fields = {
        "mpn_id": "6180342",
        "contact": contact,
        "display_name": "Hollandse Fietsen B.V.",
        "subdomain": "hollandsefietsen",
        "licenses": [
            LicenseLine(license_id=BUSINESS_STANDARD, quantity=10),
            LicenseLine(license_id=OFFICE_E3, quantity=2),
        ],
    }
    fields.update(changes)
    return NewTenantOrder(**fields)


def auto_pay(backend: Backend) -> None:
    backend.sandbox.auto_pay = True  # the in-process provider's own setting
    if backend.http:
        backend.provider.auto_pay = True  # the client asks the checkout to pay


def sent(backend: Backend, method: str, tail: str) -> list[str]:
    """Paths of the HTTP requests the sandbox server got, ending with `tail`."""
    return [
        r.path for r in backend.requests or [] if r.method == method
        and r.path.split("?")[0].endswith(tail)
    ]  # fmt: skip


# --- an order through payment and delivery ----------------------------------------------------


@pytest.mark.parametrize("shape", SHAPES)
async def test_an_order_waits_for_payment_then_delivers_its_group(backend: Backend, shape) -> None:
    backend.sandbox.cart_shape = shape
    p = backend.provider
    before = set(await p.list_tenants())

    placed = await p.order_tenant(new_order())

    assert placed.order_id and placed.url and placed.domains == []
    assert set(await p.list_tenants()) == before  # nothing exists before it is paid
    assert await p.order_status(placed.order_id) == "notPaid"
    await backend.sandbox.pay_order(placed.order_id)
    assert await p.order_status(placed.order_id) == "delivering"
    (new,) = set(await p.list_tenants()) - before
    tenant = await p.get_tenant(new)
    assert tenant.status == TenantStatus.CREATING
    assert tenant.display_name == "Hollandse Fietsen B.V." and tenant.mpn_id == "6180342"
    assert tenant.email == "sanne@hollandse-fietsen.nl" and tenant.city == "Amsterdam"
    backend.finish_tasks()
    assert await p.order_status(placed.order_id) == "delivered"
    seats = {s.license_id: s.quantity for s in await p.get_subscriptions(new)}
    assert seats == {BUSINESS_STANDARD: 10, OFFICE_E3: 2}
    assert await p.order_domains(placed.order_id) == [new]
    if backend.http:
        main_items = sent(backend, "POST", "/csp2")
        options = sent(backend, "POST", "/csp2/options")
        assert (len(main_items), len(options)) == ((1, 2) if shape == OPTIONS_SHAPE else (2, 0))
        (contact,) = backend.sandbox.calls("createContact")
        assert contact["address"] == {
            "line1": "Prinsengracht 12", "city": "Amsterdam", "zip": "1015 DV", "country": "NL"
        }  # fmt: skip
        assert (contact["language"], contact["legalForm"]) == ("nl_NL", "corporation")
        configured = {c["label"]: c["value"] for c in backend.sandbox.calls("configureCartItem")}
        assert configured["adminContact"].startswith("/me/contact/")
        assert configured["mpnId"] == "6180342" and configured["subdomain"] == "hollandsefietsen"
        (checkout,) = backend.sandbox.calls("checkoutCart")
        assert checkout["autoPayWithPreferredPaymentMethod"] is False


async def test_with_auto_pay_the_group_is_made_at_once(backend: Backend) -> None:
    auto_pay(backend)
    p = backend.provider
    before = set(await p.list_tenants())
    placed = await p.order_tenant(new_order())
    assert await p.order_status(placed.order_id) == "delivering"
    assert len(set(await p.list_tenants()) - before) == 1
    assert backend.sandbox.unpaid_orders() == []
    if backend.http:
        (checkout,) = backend.sandbox.calls("checkoutCart")
        assert checkout["autoPayWithPreferredPaymentMethod"] is True


async def test_a_checkout_may_name_no_order(backend: Backend) -> None:
    """`order.Order.orderId` and `url` are nullable in OVHcloud's schema."""
    backend.sandbox.checkout_order_ids = False
    placed = await backend.provider.order_tenant(new_order())
    assert (placed.order_id, placed.url) == (None, None)
    assert len(backend.sandbox.unpaid_orders()) == 1  # the order exists all the same


async def test_a_cancelled_order_says_so(backend: Backend) -> None:
    placed = await backend.provider.order_tenant(new_order())
    await backend.sandbox.cancel_order(placed.order_id)
    assert await backend.provider.order_status(placed.order_id) == "cancelled"


async def test_order_details_may_not_name_the_service(backend: Backend) -> None:
    auto_pay(backend)
    backend.sandbox.details_name_service = False
    placed = await backend.provider.order_tenant(new_order())
    backend.finish_tasks()
    assert await backend.provider.order_domains(placed.order_id) == []


# --- configuration labels, by type ----------------------------------------------------------


@pytest.mark.parametrize("shape", SHAPES)
async def test_a_label_nobody_can_fill_stops_the_order_before_anything_is_made(
    backend: Backend, shape
) -> None:
    backend.sandbox.cart_shape = shape
    backend.sandbox.order_requirements.append(Requirement(label="Microsoft tenant GUID"))
    before = await backend.provider.list_tenants()
    with pytest.raises(UnfillableConfiguration) as refused:
        await backend.provider.order_tenant(new_order())
    assert refused.value.labels == ["Microsoft tenant GUID"]
    assert "“Microsoft tenant GUID” (the order form does not ask for it)" in str(refused.value)
    assert refused.value.nothing_ordered
    assert await backend.provider.list_tenants() == before
    assert backend.sandbox.unpaid_orders() == []
    if backend.http:  # read, refused, and the cart thrown away: no contact, no configuration
        for op in ("createContact", "configureCartItem", "checkoutCart"):
            assert backend.sandbox.calls(op) == [], op
        assert len(backend.sandbox.calls("deleteCart")) == 1


async def test_a_contact_label_asking_for_fields_the_order_lacks_is_refused(backend) -> None:
    fields = [*CONTACT_FIELDS, "birthDay", "address.province"]
    backend.sandbox.order_requirements[1] = Requirement(
        label="adminContact", type="/me/contact", fields=fields
    )
    with pytest.raises(UnfillableConfiguration) as refused:
        await backend.provider.order_tenant(new_order())
    assert refused.value.labels == ["adminContact"]
    assert "birthDay, address.province" in str(refused.value)
    assert backend.sandbox.calls("createContact") == []


async def test_boolean_and_integer_labels_are_filled_as_the_cart_types_say(backend) -> None:
    backend.sandbox.order_requirements += [
        Requirement(label="customSubdomain", type="Boolean"),
        Requirement(label="partnerId", type="Integer"),
    ]
    placed = await backend.provider.order_tenant(new_order())
    assert placed.order_id
    if backend.http:
        configured = {c["label"]: c["value"] for c in backend.sandbox.calls("configureCartItem")}
        assert configured["customSubdomain"] == "true" and configured["partnerId"] == "6180342"


async def test_an_integer_label_the_order_has_no_number_for_is_refused(backend) -> None:
    backend.sandbox.order_requirements.append(Requirement(label="postcode", type="Integer"))
    with pytest.raises(UnfillableConfiguration, match=r"postcode.*whole number"):
        await backend.provider.order_tenant(new_order())  # "1015 DV"


async def test_a_label_of_an_unknown_complex_type_is_refused(backend) -> None:
    backend.sandbox.order_requirements.append(
        Requirement(label="billingAccount", type="/me/billingAccount")
    )
    with pytest.raises(UnfillableConfiguration, match="/me/billingAccount resource"):
        await backend.provider.order_tenant(new_order())


async def test_a_cart_asking_each_contact_field_as_a_string(backend: Backend) -> None:
    backend.sandbox.order_requirements = list(STRING_REQUIREMENTS)
    auto_pay(backend)
    before = set(await backend.provider.list_tenants())
    await backend.provider.order_tenant(new_order())
    (new,) = set(await backend.provider.list_tenants()) - before
    assert (await backend.provider.get_tenant(new)).email == "sanne@hollandse-fietsen.nl"
    assert backend.sandbox.calls("createContact") == []


# --- the catalogue ----------------------------------------------------------------------------


async def test_an_addon_alone_cannot_make_a_group(backend: Backend) -> None:
    order = new_order(licenses=[LicenseLine(license_id=TEAMS_AUDIO_CONFERENCING, quantity=2)])
    with pytest.raises(BadParameters):
        await backend.provider.order_tenant(order)


@pytest.mark.parametrize("shape", SHAPES)
async def test_plan_codes_the_bot_cannot_derive_come_from_the_operator_map(
    http_sandbox, shape
) -> None:
    sandbox = http_sandbox.sandbox
    sandbox.cart_shape = shape
    sandbox.cart_name_suffix = " (monthly commitment)"  # product names no longer the licences'
    guessing = http_sandbox.client()
    with pytest.raises(BadParameters) as refused:
        await guessing.order_tenant(new_order())
    assert refused.value.nothing_ordered
    assert f"{BUSINESS_STANDARD} (Microsoft 365 Business Standard)" in refused.value.message
    assert "csp2-o365-e3" in refused.value.message and "CSP_OVH_PLAN_CODES" in refused.value.message
    mapped = http_sandbox.client(
        plan_codes={str(BUSINESS_STANDARD): "csp2-m365-business-standard",
                    "Office 365 E3": "csp2-o365-e3"}
    )  # fmt: skip
    placed = await mapped.order_tenant(new_order())
    assert placed.order_id
    (order,) = sandbox.calls("orderTenant")
    assert [x["licenseId"] for x in order["licenses"]] == [BUSINESS_STANDARD, OFFICE_E3]


# --- the account's subsidiary ---------------------------------------------------------------


async def test_carts_are_made_in_the_accounts_subsidiary(http_sandbox) -> None:
    http_sandbox.sandbox.subsidiary = "NL"
    client = http_sandbox.client()
    await client.order_tenant(new_order())
    await client.order_tenant(new_order(subdomain="fietsen2"))
    assert [c["ovhSubsidiary"] for c in http_sandbox.sandbox.calls("createCart")] == ["NL", "NL"]
    assert [r.path for r in http_sandbox.requests if r.path == "/1.0/me"] == ["/1.0/me"]  # once


async def test_a_set_subsidiary_wins_and_a_wrong_one_orders_nothing(http_sandbox) -> None:
    http_sandbox.sandbox.subsidiary = "NL"
    client = http_sandbox.client(ovh_subsidiary="FR")
    with pytest.raises(BadParameters, match="made for FR") as refused:
        await client.order_tenant(new_order())
    assert refused.value.nothing_ordered
    assert not any(r.path == "/1.0/me" for r in http_sandbox.requests)
    assert len(http_sandbox.sandbox.calls("deleteCart")) == 1

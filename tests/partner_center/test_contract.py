"""The SoftwareProvider contract: what the bot may rely on, whichever backend it talks to.

Every test runs twice (see conftest): the in-process sandbox, and PartnerCenterClient over HTTPS
to the sandbox server. Cancellation is in test_cancellation.py, faults in test_faults.py, what
only the HTTP path has (tokens, TLS, paging, headers) in test_http.py.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.partner_center import errors
from bot.partner_center.catalog import CatalogItemId, TargetView
from bot.partner_center.orders import CartLineItem, CartStatus, Order, OrderStatus
from bot.partner_center.provider import SoftwareProvider
from bot.partner_center.sandbox_data import (
    ACCESS_LTSC,
    BIZTALK,
    BUSINESS_BASIC_NCE,
    CONTOSO_TENANT,
    CUSTOMER_OF_LICENSE_GROUP,
    IDENTITY_MANAGER_CAL,
    NORDWIND_TENANT,
    RDS_CAL,
    SQL_ENTERPRISE,
    VANDERBERG_TENANT,
)
from bot.partner_center.software import SubscriptionStatus
from bot.provider.sandbox_data import NORDWIND, seed_world
from tests.partner_center.conftest import Backend


async def buy(
    p: SoftwareProvider,
    customer: str,
    product: str,
    sku: str,
    quantity: int = 1,
    term: str | None = None,
    cycle: str = "one_time",
) -> Order:
    """What the bot does to buy: read the item just before, put it in a cart, check out."""
    availability = await p.current_availability(product, sku, "NL", term)
    line = CartLineItem(
        catalog_item_id=availability.catalog_item_id,
        quantity=quantity,
        billing_cycle=cycle,
        term_duration=term,
    )
    cart = await p.create_cart(customer, [line])
    result = await p.checkout(customer, cart.id)
    assert result.order_errors == []
    (order,) = result.orders
    return order


async def biztalk_line(p: SoftwareProvider) -> CartLineItem:
    """One BizTalk Server licence (perpetual), at today's catalog item id."""
    availability = await p.current_availability(BIZTALK, "0002", "NL")
    return CartLineItem(catalog_item_id=availability.catalog_item_id, billing_cycle="one_time")


# --- customers ------------------------------------------------------------------------------


async def test_both_backends_implement_the_interface(backend: Backend) -> None:
    assert isinstance(backend.provider, SoftwareProvider)


async def test_every_csp2_license_group_has_its_customer(backend: Backend, clock) -> None:
    p = backend.provider
    customers = {c.id: c for c in await p.list_customers()}
    groups = seed_world(clock.now()).tenants
    assert set(CUSTOMER_OF_LICENSE_GROUP) == set(groups)
    for service_name, tenant_id in CUSTOMER_OF_LICENSE_GROUP.items():
        customer = customers[tenant_id]
        assert customer.name == groups[service_name].tenant.display_name
        assert customer.company_profile.tenant_id == tenant_id
        assert customer.domain.endswith(".onmicrosoft.com")
    nordwind = await p.get_customer(CUSTOMER_OF_LICENSE_GROUP[NORDWIND])
    assert nordwind.relationship_to_partner == "reseller" and nordwind.country == "NL"


async def test_customers_are_found_by_domain_prefix_case_ignored(backend: Backend) -> None:
    found = await backend.provider.find_customers("CONTOSO")
    assert [c.id for c in found] == [CONTOSO_TENANT]
    assert await backend.provider.find_customers("nobody-") == []


async def test_unknown_customer_is_not_found(backend: Backend) -> None:
    with pytest.raises(errors.NotFound) as missing:
        await backend.provider.get_customer("00000000-0000-0000-0000-000000000000")
    assert missing.value.code == 60003 and missing.value.status == 404


# --- catalogue ------------------------------------------------------------------------------


async def test_software_views_split_perpetual_from_subscriptions(backend: Backend) -> None:
    p = backend.provider
    software = {x.id for x in await p.list_products("NL", TargetView.SOFTWARE)}
    perpetual = {x.id for x in await p.list_products("NL", TargetView.SOFTWARE_PERPETUAL)}
    subs = {x.id for x in await p.list_products("NL", TargetView.SOFTWARE_SUBSCRIPTIONS)}
    assert {BIZTALK, IDENTITY_MANAGER_CAL, ACCESS_LTSC} <= perpetual
    assert {SQL_ENTERPRISE, RDS_CAL} <= subs
    assert software == perpetual | subs and not perpetual & subs
    assert BUSINESS_BASIC_NCE not in software  # a license, not software
    assert all(len(x) == 12 for x in software)


async def test_skus_and_availabilities_give_the_orderable_id(backend: Backend) -> None:
    p = backend.provider
    (sku,) = await p.list_skus(SQL_ENTERPRISE, "NL")
    assert sku.id == "0003" and sku.allows(1) and not sku.allows(sku.maximum_quantity + 1)
    assert set(sku.supported_billing_cycles) == {"annual", "triennial"}
    (availability,) = await p.list_availabilities(SQL_ENTERPRISE, "0003", "NL")
    assert availability.catalog_item_id == "DG7GMGF0FKZV:0003:DG7GMGF0DWMS"
    assert availability.item_id == CatalogItemId(SQL_ENTERPRISE, "0003", availability.id)
    assert [t.duration for t in availability.terms] == ["P3Y"]
    (perpetual,) = await p.list_availabilities(BIZTALK, "0002", "NL")
    assert perpetual.terms == [] and perpetual.default_currency.code == "EUR"


async def test_a_target_view_that_does_not_exist_is_refused(backend: Backend) -> None:
    with pytest.raises(errors.Forbidden) as refused:
        await backend.provider.list_products("NL", "OnPremiseSoftware")
    assert refused.value.code == 400036


async def test_catalog_ids_change_and_a_stale_one_is_refused_at_checkout(
    backend: Backend,
) -> None:
    p = backend.provider
    backend.sandbox.behaviour.catalog_rotation = timedelta(days=1)
    before = await p.current_availability(BIZTALK, "0002", "NL")
    line = CartLineItem(catalog_item_id=before.catalog_item_id, billing_cycle="one_time")
    cart = await p.create_cart(NORDWIND_TENANT, [line])
    backend.clock.advance(days=1)
    after = await p.current_availability(BIZTALK, "0002", "NL")
    assert after.catalog_item_id != before.catalog_item_id
    assert after.catalog_item_id.startswith(f"{BIZTALK}:0002:DG7GMGF0")
    with pytest.raises(errors.StaleCatalogItem) as stale:
        await p.checkout(NORDWIND_TENANT, cart.id)
    assert (stale.value.status, stale.value.code) == (404, 400019)


# --- carts and checkout ---------------------------------------------------------------------


async def test_a_cart_lives_seven_days(backend: Backend) -> None:
    p = backend.provider
    line = await biztalk_line(p)
    cart = await p.create_cart(NORDWIND_TENANT, [line])
    assert cart.status == CartStatus.ACTIVE and cart.id
    assert cart.expiration_timestamp - cart.creation_timestamp == timedelta(days=7)
    assert cart.line_items[0].currency_code == "EUR" and cart.line_items[0].order_group
    assert (await p.get_cart(NORDWIND_TENANT, cart.id)).id == cart.id
    backend.clock.advance(days=7, minutes=1)
    with pytest.raises(errors.NotFound) as gone:
        await p.checkout(NORDWIND_TENANT, cart.id)
    assert gone.value.code == 800008


async def test_a_cart_is_replaced_by_put(backend: Backend) -> None:
    p = backend.provider
    availability = await p.current_availability(IDENTITY_MANAGER_CAL, "0001", "NL")
    line = CartLineItem(catalog_item_id=availability.catalog_item_id, billing_cycle="one_time")
    cart = await p.create_cart(NORDWIND_TENANT, [line])
    cart.line_items[0].quantity = 40
    replaced = await p.update_cart(NORDWIND_TENANT, cart)
    assert replaced.line_items[0].quantity == 40
    assert (await p.get_cart(NORDWIND_TENANT, cart.id)).line_items[0].quantity == 40


@pytest.mark.parametrize(
    ("item", "quantity", "code"),
    [("DG7GMGF0DWM3:0002:DG7GMGF0DT1M", 101, 2002), ("DG7GMGF0XXXX:0001:DG7GMGF0XXXX", 1, 10001)],
)
async def test_cart_lines_the_catalogue_cannot_sell_are_refused(
    backend: Backend, item: str, quantity: int, code: int
) -> None:
    line = CartLineItem(catalog_item_id=item, quantity=quantity, billing_cycle="one_time")
    with pytest.raises(errors.BadRequest) as refused:
        await backend.provider.create_cart(NORDWIND_TENANT, [line])
    assert refused.value.code == code and refused.value.status == 400


async def test_checkout_makes_a_pending_order_that_completes_and_lists_late(
    backend: Backend,
) -> None:
    p = backend.provider
    order = await buy(p, VANDERBERG_TENANT, SQL_ENTERPRISE, "0003", 4, "P3Y", "annual")
    assert order.status == OrderStatus.PENDING and order.reference_customer_id == VANDERBERG_TENANT
    assert order.line_items[0].offer_id == "DG7GMGF0FKZV:0003:DG7GMGF0DWMS"
    assert order.line_items[0].subscription_id is None  # not provisioned yet
    assert len(order.alternate_id) == 12
    assert (await p.get_order(VANDERBERG_TENANT, order.id)).id == order.id  # found by id at once
    assert await p.list_orders(VANDERBERG_TENANT) == []  # lists are late
    backend.clock.advance(backend.sandbox.behaviour.order_duration)
    done = await p.get_order(VANDERBERG_TENANT, order.id)
    assert done.status == OrderStatus.COMPLETED and done.line_items[0].subscription_id
    backend.clock.advance(backend.sandbox.behaviour.list_delay)
    assert [o.id for o in await p.list_orders(VANDERBERG_TENANT)] == [order.id]
    (sub,) = await p.list_subscriptions(VANDERBERG_TENANT, order_id=order.id)
    assert sub.id == done.line_items[0].subscription_id and sub.is_software
    assert sub.status == SubscriptionStatus.ACTIVE and sub.term_duration == "P3Y"
    assert sub.auto_renew_enabled is True and sub.quantity == 4
    # 7 calendar days, ending 23:59 UTC (the shape of Microsoft's example)
    deadline = sub.cancellation_allowed_until_date
    assert (deadline.hour, deadline.minute) == (23, 59)
    assert deadline.date() == (order.creation_date + timedelta(days=7)).date()
    status = await p.provisioning_status(VANDERBERG_TENANT, order.id)
    assert [s.status for s in status] == ["fulfilled"]


async def test_a_perpetual_purchase_has_no_subscription_and_an_entitlement_without_keys(
    backend: Backend,
) -> None:
    p = backend.provider
    order = await buy(p, VANDERBERG_TENANT, BIZTALK, "0002")
    pending = await p.provisioning_status(VANDERBERG_TENANT, order.id)
    assert [s.status for s in pending] == ["prefulfillmentpending"]
    backend.clock.advance(backend.sandbox.behaviour.order_duration)
    done = await p.get_order(VANDERBERG_TENANT, order.id)
    assert done.status == OrderStatus.COMPLETED
    assert done.line_items[0].subscription_id is None and not done.line_items[0].term_duration
    assert await p.list_subscriptions(VANDERBERG_TENANT, order_id=order.id) == []
    (entitlement,) = await p.list_entitlements(VANDERBERG_TENANT)
    assert entitlement.reference_order.id == order.id
    assert entitlement.reference_order.line_item_id == "0"
    assert (entitlement.product_id, entitlement.sku_id) == (BIZTALK, "0002")
    assert entitlement.entitlement_type == "software" and entitlement.expiry_date is None
    assert entitlement.entitled_artifacts == []  # no keys, no downloads: there is no API


async def test_access_ltsc_waits_for_a_purchase_order(backend: Backend) -> None:
    order = await buy(backend.provider, VANDERBERG_TENANT, ACCESS_LTSC, "0002")
    backend.clock.advance(minutes=30)
    read = await backend.provider.get_order(VANDERBERG_TENANT, order.id)
    assert read.status == OrderStatus.PENDING_PO_UPLOAD


async def test_a_repeated_checkout_answers_the_first_result(backend: Backend) -> None:
    p = backend.provider
    line = await biztalk_line(p)
    cart = await p.create_cart(VANDERBERG_TENANT, [line])
    first = await p.checkout(VANDERBERG_TENANT, cart.id)
    again = await p.checkout(VANDERBERG_TENANT, cart.id)
    assert [o.id for o in again.orders] == [o.id for o in first.orders]
    assert (await p.get_cart(VANDERBERG_TENANT, cart.id)).status == CartStatus.ORDERED
    backend.sandbox.settle()
    assert len(await p.list_orders(VANDERBERG_TENANT)) == 1


async def test_a_repeated_checkout_may_be_refused_instead(backend: Backend) -> None:
    backend.sandbox.behaviour.repeat_checkout_refused = True
    p = backend.provider
    line = await biztalk_line(p)
    cart = await p.create_cart(VANDERBERG_TENANT, [line])
    await p.checkout(VANDERBERG_TENANT, cart.id)
    with pytest.raises(errors.CartAlreadyOrdered) as refused:
        await p.checkout(VANDERBERG_TENANT, cart.id)
    assert refused.value.code == 800065


async def test_a_write_resent_with_its_request_id_gets_the_first_answer(backend: Backend) -> None:
    p = backend.provider
    line = await biztalk_line(p)
    first = await p.create_cart(VANDERBERG_TENANT, [line], request_id="7d0c-one")
    again = await p.create_cart(VANDERBERG_TENANT, [line], request_id="7d0c-one")
    other = await p.create_cart(VANDERBERG_TENANT, [line], request_id="7d0c-two")
    assert first.id == again.id != other.id

"""Cancelling software, on both backends: the two paths, the windows, the role, the variants.

Seeded purchases (sandbox_data): Nordwind's BizTalk (perpetual, 3 days old), its SQL Server
subscription (40 days, past its 7-day window) and a Business Basic license (new commerce);
Contoso's RDS CAL subscription (2 days) and Identity Manager CALs (perpetual, 45 days);
Padaria's BizTalk (70 days).
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.partner_center import errors
from bot.partner_center.orders import CartLineItem, Order, OrderStatus
from bot.partner_center.provider import SoftwareProvider
from bot.partner_center.sandbox_data import (
    BIZTALK,
    BUSINESS_BASIC_NCE,
    CONTOSO_TENANT,
    IDENTITY_MANAGER_CAL,
    NORDWIND_TENANT,
    PADARIA_TENANT,
    RDS_CAL,
    SQL_ENTERPRISE,
    VANDERBERG_TENANT,
)
from bot.partner_center.sandbox_rules import Caller, PartnerRole
from bot.partner_center.software import SubscriptionStatus
from bot.partner_center.windows import can_cancel, cancellation_deadline
from tests.partner_center.conftest import Backend


async def order_of(p: SoftwareProvider, customer: str, product: str) -> Order:
    return next(
        o for o in await p.list_orders(customer) if o.line_items[0].offer_id.startswith(product)
    )


async def two_line_order(backend: Backend) -> Order:
    p = backend.provider
    lines = []
    for product, sku in ((BIZTALK, "0002"), (IDENTITY_MANAGER_CAL, "0001")):
        availability = await p.current_availability(product, sku, "NL")
        lines.append(
            CartLineItem(catalog_item_id=availability.catalog_item_id, quantity=3,
                         billing_cycle="one_time")
        )  # fmt: skip
    cart = await p.create_cart(VANDERBERG_TENANT, lines)
    (order,) = (await p.checkout(VANDERBERG_TENANT, cart.id)).orders
    backend.sandbox.settle()
    return await p.get_order(VANDERBERG_TENANT, order.id)


# --- order PATCH ----------------------------------------------------------------------------


async def test_a_whole_perpetual_order_is_cancelled_to_quantity_zero(backend: Backend) -> None:
    p = backend.provider
    order = await order_of(p, NORDWIND_TENANT, BIZTALK)
    cancelled = await p.cancel_order(NORDWIND_TENANT, order)
    assert cancelled.status == OrderStatus.CANCELLED
    assert [li.quantity for li in cancelled.line_items] == [0]
    entitlements = await p.list_entitlements(NORDWIND_TENANT)
    biztalk = next(e for e in entitlements if e.product_id == BIZTALK)
    assert biztalk.quantity == 0
    status = await p.provisioning_status(NORDWIND_TENANT, order.id)
    assert [s.status for s in status] == ["unfulfilled"]
    if backend.http:
        (patch,) = backend.server.seen("PATCH", f"/orders/{order.id}")
        assert patch.request_id


async def test_cancelled_entitlements_may_vanish_instead(backend: Backend) -> None:
    backend.sandbox.behaviour.cancelled_entitlements_vanish = True
    p = backend.provider
    await p.cancel_order(NORDWIND_TENANT, await order_of(p, NORDWIND_TENANT, BIZTALK))
    assert BIZTALK not in {e.product_id for e in await p.list_entitlements(NORDWIND_TENANT)}


async def test_one_line_is_cancelled_and_the_order_stays_completed(backend: Backend) -> None:
    p = backend.provider
    order = await two_line_order(backend)
    after = await p.cancel_order(VANDERBERG_TENANT, order, [1])
    assert [li.quantity for li in after.line_items] == [3, 0]
    assert after.status == OrderStatus.COMPLETED
    calls = backend.sandbox.calls("cancelOrder")
    assert calls[-1]["line_numbers"] == [1]
    final = await p.cancel_order(VANDERBERG_TENANT, after, [0])
    assert final.status == OrderStatus.CANCELLED


async def test_a_software_subscription_may_be_cancelled_through_its_order(
    backend: Backend,
) -> None:
    p = backend.provider
    order = await order_of(p, CONTOSO_TENANT, RDS_CAL)
    after = await p.cancel_order(CONTOSO_TENANT, order)
    assert after.status == OrderStatus.CANCELLED
    sub = await p.get_subscription(CONTOSO_TENANT, order.line_items[0].subscription_id)
    assert sub.status == SubscriptionStatus.DELETED


async def test_perpetual_software_past_its_window_is_refused(backend: Backend) -> None:
    p = backend.provider
    order = await order_of(p, CONTOSO_TENANT, IDENTITY_MANAGER_CAL)  # 45 days old
    with pytest.raises(errors.WindowPassed) as late:
        await p.cancel_order(CONTOSO_TENANT, order)
    assert (late.value.status, late.value.code) == (400, 900117)
    assert "30-day" in late.value.description
    assert "refund ticket" in late.value.message
    # the guide's 60 days, as a setting
    backend.sandbox.behaviour.perpetual_window = timedelta(days=60)
    assert (await p.cancel_order(CONTOSO_TENANT, order)).status == OrderStatus.CANCELLED


async def test_a_license_cannot_be_cancelled_through_its_order(backend: Backend) -> None:
    p = backend.provider
    order = await order_of(p, NORDWIND_TENANT, BUSINESS_BASIC_NCE)
    with pytest.raises(errors.WrongCancelPath) as wrong:
        await p.cancel_order(NORDWIND_TENANT, order)
    assert (wrong.value.status, wrong.value.code) == (403, 800019)
    backend.sandbox.behaviour.wrong_path_code = 800063
    with pytest.raises(errors.WrongCancelPath) as wrong:
        await p.cancel_order(NORDWIND_TENANT, order)
    assert (wrong.value.status, wrong.value.code) == (400, 800063)
    assert "through their subscription" in wrong.value.message


async def test_an_unknown_order_is_error_20000(backend: Backend) -> None:
    with pytest.raises(errors.UnknownOrder) as unknown:
        await backend.provider.cancel_order(NORDWIND_TENANT, Order(id="5cf72f146967"))
    assert (unknown.value.status, unknown.value.code) == (404, 20000)
    assert isinstance(unknown.value, errors.NotFound)


async def test_the_integration_sandbox_refuses_orders_older_than_60_days(
    backend: Backend,
) -> None:
    p = backend.provider
    behaviour = backend.sandbox.behaviour
    behaviour.perpetual_window = timedelta(days=90)
    order = await order_of(p, PADARIA_TENANT, BIZTALK)  # 70 days old
    behaviour.integration_sandbox = True
    with pytest.raises(errors.WindowPassed) as refused:
        await p.cancel_order(PADARIA_TENANT, order)
    assert "60 days" in refused.value.description
    behaviour.integration_sandbox = False
    assert (await p.cancel_order(PADARIA_TENANT, order)).status == OrderStatus.CANCELLED


# --- subscription PATCH ---------------------------------------------------------------------


async def test_a_software_subscription_is_cancelled_by_its_patch(backend: Backend) -> None:
    p = backend.provider
    order = await order_of(p, CONTOSO_TENANT, RDS_CAL)
    sub = await p.get_subscription(CONTOSO_TENANT, order.line_items[0].subscription_id)
    deleted = await p.cancel_subscription(CONTOSO_TENANT, sub)
    assert deleted.status == SubscriptionStatus.DELETED
    assert deleted.auto_renew_enabled is True  # sent back, so not cleared
    read = await p.get_order(CONTOSO_TENANT, order.id)
    assert read.status == OrderStatus.CANCELLED and read.line_items[0].quantity == 0
    (sent,) = backend.sandbox.calls("cancelSubscription")
    body = sent["subscription"]  # over HTTP: the PATCH body as received
    assert body["autoRenewEnabled"] is True
    assert body["status"] == ("deleted" if backend.http else "active")
    assert body["cancellationAllowedUntilDate"] and body["orderId"] == order.id


async def test_a_software_subscription_past_its_deadline_is_refused(backend: Backend) -> None:
    p = backend.provider
    order = await order_of(p, NORDWIND_TENANT, SQL_ENTERPRISE)  # 40 days old
    sub = await p.get_subscription(NORDWIND_TENANT, order.line_items[0].subscription_id)
    with pytest.raises(errors.WindowPassed) as late:
        await p.cancel_subscription(NORDWIND_TENANT, sub)
    assert late.value.code == 900117
    with pytest.raises(errors.WindowPassed):
        await p.cancel_order(NORDWIND_TENANT, order)
    backend.sandbox.behaviour.late_subscription_code = 900213
    with pytest.raises(errors.WindowPassed) as late:
        await p.cancel_subscription(NORDWIND_TENANT, sub)
    assert late.value.code == 900213 and "168-hour" in late.value.description


async def test_the_deadline_rule_agrees_with_the_backend(backend: Backend, clock) -> None:
    """What `windows` says is cancellable is what the backend lets through, and vice versa."""
    p = backend.provider
    window = backend.sandbox.behaviour.perpetual_window
    for customer in (NORDWIND_TENANT, CONTOSO_TENANT, PADARIA_TENANT):
        subs = {s.id: s for s in await p.list_subscriptions(customer)}
        for order in await p.list_orders(customer):
            line = order.line_items[0]
            if line.offer_id.startswith(BUSINESS_BASIC_NCE):
                continue
            deadline = cancellation_deadline(order, line, subs.get(line.subscription_id), window)
            if can_cancel(deadline, clock.now()):
                assert (await p.cancel_order(customer, order)).line_items[0].quantity == 0
            else:
                with pytest.raises(errors.WindowPassed):
                    await p.cancel_order(customer, order)


# --- who may cancel -------------------------------------------------------------------------


async def test_only_an_admin_agent_may_cancel(backend: Backend) -> None:
    sales = backend.as_caller(Caller(role=PartnerRole.SALES_AGENT, name="sales@partner"))
    order = await order_of(sales, NORDWIND_TENANT, BIZTALK)  # reading is allowed
    with pytest.raises(errors.RoleRefused) as refused:
        await sales.cancel_order(NORDWIND_TENANT, order)
    assert (refused.value.status, refused.value.code) == (403, 900150)
    assert "Admin agent" in refused.value.message
    backend.sandbox.behaviour.role_code = 900308
    with pytest.raises(errors.RoleRefused) as refused:
        await sales.cancel_order(NORDWIND_TENANT, order)
    assert refused.value.code == 900308
    # the policy page's reading: sales agents too
    backend.sandbox.behaviour.cancel_roles |= {PartnerRole.SALES_AGENT}
    assert (await sales.cancel_order(NORDWIND_TENANT, order)).status == OrderStatus.CANCELLED


async def test_without_mfa_every_app_user_call_is_refused(backend: Backend) -> None:
    careless = backend.as_caller(Caller(mfa=False, name="no-mfa@partner"))
    with pytest.raises(errors.MfaRequired) as refused:
        await careless.list_entitlements(NORDWIND_TENANT)
    assert (refused.value.status, refused.value.code) == (401, 900421)
    assert "multi-factor" in refused.value.message
    with pytest.raises(errors.MfaRequired):
        await careless.cancel_order(NORDWIND_TENANT, Order(id="x"))

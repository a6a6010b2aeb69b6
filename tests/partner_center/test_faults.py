"""Faults on both backends: 429, timeouts, busy answers, server errors.

The in-process sandbox surfaces a fault as the typed error itself, and a caller resends a write
with the same request id. Over HTTP the client does that resend itself, always with the same
MS-RequestId (so Partner Center answers with the first result), waits Retry-After on a 429, and
never retries what the SDK never retries (400/401/403/404/409/417).
"""

from __future__ import annotations

import pytest

from bot.partner_center import errors
from bot.partner_center.sandbox_data import BIZTALK, NORDWIND_TENANT, VANDERBERG_TENANT
from tests.partner_center.conftest import Backend
from tests.partner_center.test_cancellation import order_of
from tests.partner_center.test_contract import biztalk_line


async def _cart(backend: Backend) -> str:
    line = await biztalk_line(backend.provider)
    return (await backend.provider.create_cart(VANDERBERG_TENANT, [line])).id


async def test_a_429_is_waited_out(backend: Backend) -> None:
    backend.sandbox.faults.set(fail_next=[("listCustomers", errors.RateLimited(retry_after=7))])
    if backend.http:
        assert len(await backend.provider.list_customers()) == 5
        assert backend.server.sleeps and backend.server.sleeps[0] >= 7
        assert len(backend.sandbox.calls("listCustomers")) == 2
    else:
        with pytest.raises(errors.RateLimited) as throttled:
            await backend.provider.list_customers()
        assert throttled.value.retry_after == 7 and throttled.value.retryable


async def test_a_checkout_that_timed_out_is_resent_with_its_request_id(backend: Backend) -> None:
    cart_id = await _cart(backend)
    # the checkout happens, but its answer never arrives
    backend.sandbox.faults.set(fail_next=[("checkout", errors.Timeout, True)])
    p = backend.provider
    if backend.http:
        result = await p.checkout(VANDERBERG_TENANT, cart_id)
        first, again = backend.server.seen("POST", "/checkout")
        assert first.request_id == again.request_id  # the idempotency key is kept
        assert first.correlation_id == again.correlation_id  # one call, retried
    else:
        with pytest.raises(errors.Timeout):
            await p.checkout(VANDERBERG_TENANT, cart_id, request_id="resend-me")
        result = await p.checkout(VANDERBERG_TENANT, cart_id, request_id="resend-me")
    backend.sandbox.settle()
    assert [o.id for o in await p.list_orders(VANDERBERG_TENANT)] == [result.orders[0].id]


async def test_a_throttled_checkout_is_sent_again_with_the_same_request_id(
    backend: Backend,
) -> None:
    cart_id = await _cart(backend)
    backend.sandbox.faults.set(fail_next=[("checkout", errors.RateLimited(retry_after=3))])
    if not backend.http:
        with pytest.raises(errors.RateLimited):
            await backend.provider.checkout(VANDERBERG_TENANT, cart_id)
        return
    result = await backend.provider.checkout(VANDERBERG_TENANT, cart_id, request_id="key-1")
    assert result.orders
    assert [r.request_id for r in backend.server.seen("POST", "/checkout")] == ["key-1", "key-1"]


async def test_a_busy_answer_is_not_retried(backend: Backend) -> None:
    order = await order_of(backend.provider, NORDWIND_TENANT, BIZTALK)
    busy_now = errors.Busy(description="Try again later.")
    backend.sandbox.faults.set(fail_next=[("cancelOrder", busy_now)])
    with pytest.raises(errors.Busy) as busy:
        await backend.provider.cancel_order(NORDWIND_TENANT, order)
    assert busy.value.status == 409 and busy.value.code == 800060 and busy.value.retryable
    assert len(backend.sandbox.calls("cancelOrder")) == 1
    assert "tried again" in busy.value.message and busy.value.description == "Try again later."


@pytest.mark.parametrize("fault", [errors.ServerError, errors.Timeout, errors.Unavailable])
async def test_transient_read_failures(backend: Backend, fault: type) -> None:
    backend.sandbox.faults.set(fail_next=[("getCustomer", fault)])
    if backend.http:
        assert (await backend.provider.get_customer(NORDWIND_TENANT)).id == NORDWIND_TENANT
        assert len(backend.sandbox.calls("getCustomer")) == 2
    else:
        with pytest.raises(fault):
            await backend.provider.get_customer(NORDWIND_TENANT)


async def test_reads_give_up_after_the_retries(backend: Backend) -> None:
    backend.sandbox.faults.set(fail_next=[("getCustomer", errors.ServerError)] * 5)
    with pytest.raises(errors.ServerError) as failed:
        await backend.provider.get_customer(NORDWIND_TENANT)
    assert len(backend.sandbox.calls("getCustomer")) == (3 if backend.http else 1)
    if backend.http:
        assert failed.value.correlation_id and failed.value.request_id
        assert failed.value.correlation_id in str(failed.value)

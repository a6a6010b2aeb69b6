"""The worker and a new license group's order: the order step keeps running after the
checkout until the group exists at OVHcloud, whatever OVHcloud does or does not say on the way
— an unpaid order, a null orderId, a status the key may not read, order details that do or do
not name the service, other groups made meanwhile, a failed creation task, an order cancelled
or never delivered — and the checkout is sent exactly once.

Driven with `run_once()` under the FakeClock against the in-process sandbox (the HTTP cart is
covered by tests/provider/test_orders.py and tests/flows/test_orders_new_group.py).
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.core.domain import (
    LicenseLine,
    NewTenantOrder,
    RequestKind,
    RequestState,
    StepAction,
    StepState,
)
from bot.pipeline.actions import retry
from bot.provider.base import AuthenticationError, ProviderTimeout, ServerError
from bot.provider.sandbox import SandboxProvider
from bot.provider.sandbox_data import BUSINESS_STANDARD, NORDWIND, OFFICE_E1
from store import cache
from store import requests as repo
from tests.conftest import ALICE
from tests.pipeline.test_worker import audit, runtime_factory, state, submit
from tests.provider.test_orders import new_order

S, St = RequestState, StepState
POLL = timedelta(seconds=61)  # past CSP_ORDER_POLL_SECONDS


def customer(**changes) -> NewTenantOrder:
    """Hollandse Fietsen's new group: 7 × Office 365 E1 and 3 × Business Standard."""
    lines = [LicenseLine(license_id=OFFICE_E1, quantity=7),
             LicenseLine(license_id=BUSINESS_STANDARD, quantity=3)]  # fmt: skip
    return new_order(**{"subdomain": None, "licenses": lines, **changes})


@pytest.fixture
async def runtime(emulator, clock, database_url, sandbox):
    async with runtime_factory(emulator, clock) as make:
        yield await make(database_url, sandbox)


async def new_group(runtime, order: NewTenantOrder | None = None) -> int:
    order = order or customer()
    return await submit(
        runtime, [(StepAction.ORDER_TENANT, {"order": order.model_dump(mode="json")})],
        kind=RequestKind.ORDER, tenant=None,
    )  # fmt: skip


async def later(runtime, clock, delta: timedelta = POLL):
    clock.advance(delta)
    return await runtime.worker.run_once()


async def next_look(runtime, request_id: int):
    """When a worker may take the running request again (its released lease's end)."""
    async with runtime.db.session() as session:
        return (await repo.get_request(session, request_id)).lease_until


# --- waiting for payment, then the group -------------------------------------------------------


async def test_the_order_step_runs_until_the_group_and_its_subscriptions_exist(
    runtime, sandbox, clock
):
    request_id = await new_group(runtime)

    report = await runtime.worker.run_once()

    assert report.sent == 1 and report.done == 0
    request, (step,) = await state(runtime, request_id)
    assert request.state is S.RUNNING and step.state is St.RUNNING
    assert step.result["phase"] == "waiting_payment" and step.result["order_status"] == "notPaid"
    assert step.provider_task_id is None
    assert await next_look(runtime, request_id) == clock.now() + timedelta(seconds=60)
    assert not await runtime.worker.run_once()  # not due yet: OVHcloud is not asked again

    (order_id,) = sandbox.unpaid_orders()
    assert step.result["order_id"] == order_id
    await sandbox.pay_order(order_id)
    report = await later(runtime, clock)

    assert report.done == 1 and report.sent == 0
    request, (step,) = await state(runtime, request_id)
    assert request.state is S.DONE
    service = step.result["service_name"]
    assert sandbox.world.tenants[service].tenant.display_name == "Hollandse Fietsen B.V."
    created = {(s["license_id"], s["quantity"]) for s in step.result["subscriptions"]}
    assert created == {(OFFICE_E1, 7), (BUSINESS_STANDARD, 3)}
    async with runtime.db.session() as session:  # the sync's per-group refresh cached it
        assert await cache.get_tenant(session, service) is not None
    phases = [e.data.get("phase") for e in await audit(runtime, request_id)
              if e.action == "order_progress"]  # fmt: skip
    assert phases == ["waiting_payment"]  # found and done in one look after the payment
    assert len(sandbox.calls("orderTenant")) == 1


async def test_a_null_order_id_is_followed_by_the_group_it_makes(runtime, sandbox, clock):
    sandbox.checkout_order_ids = False
    request_id = await new_group(runtime)
    await runtime.worker.run_once()
    _, (step,) = await state(runtime, request_id)
    assert step.state is St.RUNNING and step.result["order_id"] is None
    assert step.result["phase"] == "delivering"  # nothing says it is unpaid: the group will tell
    assert sandbox.calls("orderStatus") == []

    await sandbox.pay_order(sandbox.unpaid_orders()[0])
    await later(runtime, clock)
    request, (step,) = await state(runtime, request_id)
    assert request.state is S.DONE and step.result["service_name"]


async def test_a_status_the_key_may_not_read_leaves_the_group_to_tell(runtime, sandbox, clock):
    refused = AuthenticationError(
        "This call has not been granted", status=403, error_code="NOT_GRANTED_CALL"
    )
    sandbox.faults.set(fail_next=[("orderStatus", refused)])
    request_id = await new_group(runtime)
    await runtime.worker.run_once()
    _, (step,) = await state(runtime, request_id)
    assert step.state is St.RUNNING
    assert step.result["status_unreadable"] == "This call has not been granted"

    await sandbox.pay_order(sandbox.unpaid_orders()[0])
    await later(runtime, clock)
    request, _ = await state(runtime, request_id)
    assert request.state is S.DONE
    assert len(sandbox.calls("orderStatus")) == 1  # not asked again once refused


async def test_a_group_made_meanwhile_by_someone_else_is_not_taken(runtime, sandbox, clock):
    sandbox.details_name_service = False  # only display name and email can tell
    request_id = await new_group(runtime)
    await runtime.worker.run_once()
    sandbox.auto_pay = True  # another customer's group, ordered elsewhere, appears first
    other = customer(display_name="Trattoria Roma", contact=customer().contact.model_copy(
        update={"email": "info@trattoria-roma.it"}), subdomain="trattoriaroma")
    await sandbox.order_tenant(other)
    await later(runtime, clock)
    _, (step,) = await state(runtime, request_id)
    assert step.state is St.RUNNING and step.result["service_name"] is None

    await sandbox.pay_order(sandbox.unpaid_orders()[0])
    await later(runtime, clock)
    request, (step,) = await state(runtime, request_id)
    assert request.state is S.DONE
    assert sandbox.world.tenants[step.result["service_name"]].tenant.email == (
        "sanne@hollandse-fietsen.nl"
    )


async def test_a_group_the_customer_already_had_is_never_taken(runtime, sandbox, clock):
    sandbox.details_name_service = False
    nordwind = sandbox.world.tenants[NORDWIND].tenant  # a second group for the same customer
    contact = customer().contact.model_copy(update={"email": nordwind.email})
    request_id = await new_group(
        runtime, customer(display_name=nordwind.display_name, contact=contact)
    )
    await runtime.worker.run_once()
    await sandbox.pay_order(sandbox.unpaid_orders()[0])
    await later(runtime, clock)
    request, (step,) = await state(runtime, request_id)
    assert request.state is S.DONE
    assert step.result["service_name"] not in (NORDWIND, None)


@pytest.mark.parametrize("details_name_service", [True, False])
async def test_two_new_groups_alike_are_told_apart_only_by_the_order_details(
    runtime, sandbox, clock, details_name_service
):
    sandbox.details_name_service = details_name_service
    request_id = await new_group(runtime)
    await runtime.worker.run_once()
    sandbox.auto_pay = True
    await sandbox.order_tenant(customer(subdomain="fietsen2"))  # the same customer, elsewhere
    await sandbox.pay_order(sandbox.unpaid_orders()[0])

    await later(runtime, clock)

    request, (step,) = await state(runtime, request_id)
    if details_name_service:  # the order's details name its group: no doubt
        assert request.state is S.DONE
        ours = sandbox.world.orders[step.result["order_id"]].service_name
        assert step.result["service_name"] == ours
        return
    assert request.state is S.RUNNING and len(step.result["candidates"]) == 2
    await later(runtime, clock, timedelta(days=15))
    request, (step,) = await state(runtime, request_id)
    assert request.state is S.NEEDS_ATTENTION and step.state is St.UNKNOWN
    for name in step.result["candidates"]:
        assert name in request.error
    assert "cannot tell which new license group" in request.error


# --- an order that ends without a group ------------------------------------------------------


async def test_an_order_unpaid_past_the_bound_needs_a_person(runtime, sandbox, clock):
    request_id = await new_group(runtime)
    await runtime.worker.run_once()
    await later(runtime, clock, timedelta(days=13))
    assert (await state(runtime, request_id))[0].state is S.RUNNING
    await later(runtime, clock, timedelta(days=2))
    request, (step,) = await state(runtime, request_id)
    assert request.state is S.NEEDS_ATTENTION and step.state is St.UNKNOWN
    order_id = step.result["order_id"]
    assert f"order {order_id}: it still waits for payment after 14 days" in request.error
    assert len(sandbox.calls("orderTenant")) == 1


async def test_a_cancelled_order_fails_and_retry_orders_anew(runtime, sandbox, clock):
    request_id = await new_group(runtime)
    await runtime.worker.run_once()
    (first,) = sandbox.unpaid_orders()
    await sandbox.cancel_order(first)
    await later(runtime, clock)
    request, (step,) = await state(runtime, request_id)
    assert request.state is S.FAILED and step.state is St.FAILED
    assert f"OVHcloud cancelled order {first} (status “cancelled”)" in request.error

    await retry(runtime, request_id, ALICE)
    await runtime.worker.run_once()
    request, (step,) = await state(runtime, request_id)
    (second,) = sandbox.unpaid_orders()
    assert second != first and step.result["order_id"] == second
    assert step.result["payment_told"] is True and step.result["phase"] == "waiting_payment"
    assert len(sandbox.calls("orderTenant")) == 2


async def test_a_creation_task_in_error_fails_the_request(emulator, clock, database_url):
    sandbox = SandboxProvider(clock=clock.now, task_duration=timedelta(seconds=120))
    async with runtime_factory(emulator, clock) as make:
        runtime = await make(database_url, sandbox)
        request_id = await new_group(runtime)
        await runtime.worker.run_once()
        sandbox.faults.set(task_error_next=True)
        await sandbox.pay_order(sandbox.unpaid_orders()[0])
        await later(runtime, clock)
        _, (step,) = await state(runtime, request_id)
        assert step.state is St.RUNNING and step.result["phase"] == "creating"
        assert len(step.result["tasks"]) == 1

        await later(runtime, clock, timedelta(seconds=120))

        request, (step,) = await state(runtime, request_id)
        assert request.state is S.FAILED
        assert f"of the new license group {step.result['service_name']}" in request.error
        assert "ended with status error" in request.error


# --- exactly once ----------------------------------------------------------------------------


async def test_a_lost_checkout_answer_needs_a_person_and_is_never_sent_again(
    runtime, sandbox, clock
):
    sandbox.faults.set(fail_next=[("orderTenant", ProviderTimeout, True)])  # done, answer lost
    request_id = await new_group(runtime)
    await runtime.worker.run_once()
    request, (step,) = await state(runtime, request_id)
    assert request.state is S.NEEDS_ATTENTION and step.state is St.UNKNOWN
    await later(runtime, clock, timedelta(hours=1))
    assert len(sandbox.calls("orderTenant")) == 1 and len(sandbox.unpaid_orders()) == 1


async def test_a_failure_before_the_checkout_is_sent_again_later(runtime, sandbox, clock):
    sandbox.faults.set(fail_next=[("listTenants", ServerError)])
    request_id = await new_group(runtime)
    report = await runtime.worker.run_once()
    assert report.deferred == 1 and sandbox.calls("orderTenant") == []
    assert (await state(runtime, request_id))[0].state is S.QUEUED

    await later(runtime, clock, timedelta(minutes=5))
    _, (step,) = await state(runtime, request_id)
    assert step.result["phase"] == "waiting_payment"
    assert len(sandbox.calls("orderTenant")) == 1

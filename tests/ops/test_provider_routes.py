"""Provider calls are measured per route, never per id: OvhProvider over real HTTP to the
sandbox server, with the metrics of a runtime attached as its observer."""

from __future__ import annotations

import pytest

from bot.app.metrics import Metrics
from bot.provider.base import NotFound
from bot.provider.observe import outcome_of, route_of
from bot.provider.sandbox import ManualClock, SandboxProvider
from bot.provider.sandbox_data import NORDWIND, NORDWIND_E3
from tests.provider.conftest import TASK_DURATION, serving


@pytest.mark.parametrize(
    ("method", "path", "route"),
    [
        ("get", "/saas/csp2", "GET /saas/csp2"),
        ("POST", "/saas/csp2/csp2-nw7k3q.o365.ovh/subscription/480101/changeQuantity",
         "POST /saas/csp2/{serviceName}/subscription/{id}/changeQuantity"),
        ("GET", "/saas/csp2/a%2Fb/task/1,2,3", "GET /saas/csp2/{serviceName}/task/{id}"),
        ("GET", "/saas/csp2/sn/usageStatistics?from=2026-01-01",
         "GET /saas/csp2/{serviceName}/usageStatistics"),
        ("POST", "/order/cart/7e1f-aa/item/991/configuration",
         "POST /order/cart/{cartId}/item/{itemId}/configuration"),
        ("GET", "/order/cart/7e1f-aa/csp2", "GET /order/cart/{cartId}/csp2"),
        ("GET", "/odd/<script>/x y", "GET /odd/{value}/{value}"),
    ],
)
def test_routes_keep_the_words_and_drop_the_ids(method, path, route):
    assert route_of(method, path) == route


def test_outcomes_are_named_by_the_kind_of_failure():
    assert outcome_of(NotFound("gone")) == "not_found"
    assert outcome_of(TimeoutError()) == "timeout"
    assert outcome_of(ValueError()) == "error"


async def test_ovh_provider_calls_are_counted_by_route_and_outcome():
    sandbox = SandboxProvider(clock=ManualClock(), task_duration=TASK_DURATION)
    metrics = Metrics(runtime=None)
    async with serving(sandbox) as server:
        client = server.client()
        client.observer = metrics.provider_call
        await client.get_subscription(NORDWIND, NORDWIND_E3)
        await client.change_quantity(NORDWIND, NORDWIND_E3, 13)
        with pytest.raises(NotFound):
            await client.get_subscription(NORDWIND, 999999)
    calls = {
        (s.labels["endpoint"], s.labels["outcome"]): s.value
        for family in metrics.registry.collect() if family.name == "csp_provider_calls"
        for s in family.samples if s.name.endswith("_total")
    }
    one = "GET /saas/csp2/{serviceName}/subscription/{id}"
    assert calls[one, "ok"] == 1 and calls[one, "not_found"] == 1
    assert calls["POST /saas/csp2/{serviceName}/subscription/{id}/changeQuantity", "ok"] == 1
    assert calls["GET /auth/time", "ok"] == 1  # the signature's clock, read once
    assert not any(NORDWIND in endpoint or "480101" in endpoint for endpoint, _ in calls)

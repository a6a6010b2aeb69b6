"""What only the HTTP path has: signatures, server time, batch reads, OVHcloud's error bodies."""

from __future__ import annotations

import asyncio
import re
import time

import aiohttp
import pytest

from bot.core.domain import TenantUpdate
from bot.provider.base import AuthenticationError, NotFound, RateLimited, ServerError
from bot.provider.ovh import ENDPOINTS, OvhProvider, resolve_endpoint
from bot.provider.sandbox_conventions import LEGACY
from bot.provider.sandbox_data import NORDWIND, NORDWIND_E3, OFFICE_E1
from bot.provider.sandbox_server import serve_sandbox
from bot.provider.signing import sign
from tests.provider.conftest import (
    APP_KEY,
    APP_SECRET,
    CONSUMER_KEY,
    HttpSandbox,
    make_sandbox,
    serving,
)

PARIS_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0[12]:00")


def _count(server: HttpSandbox, fragment: str) -> int:
    return sum(1 for r in server.requests if fragment in r.path)


async def test_many_subscriptions_are_read_in_a_few_batched_requests(
    http_sandbox: HttpSandbox,
) -> None:
    box = http_sandbox.sandbox
    for _ in range(120):
        await box.add_subscription(NORDWIND, OFFICE_E1, 1)
    box.settle()
    client = http_sandbox.client()
    await client.list_tenants()  # reads /auth/time once
    http_sandbox.requests.clear()
    subs = await client.get_subscriptions(NORDWIND)
    assert len(subs) == 125
    assert len({s.id for s in subs}) == 125
    # 1 list + ceil(125 / 50) batches, every batch flagged with X-Ovh-Batch
    assert len(http_sandbox.requests) == 4
    assert sum(r.batch for r in http_sandbox.requests) == 3


async def test_the_wire_follows_ovhclouds_conventions(http_sandbox: HttpSandbox) -> None:
    """What OVHcloud sends (ovh-csp2-api.md, "Conventions"): `taskPendingId` 0 when idle,
    status `ok`, local time with its offset and no fractions, dates as YYYY-MM-DD."""
    client = http_sandbox.client()
    path = f"/saas/csp2/{NORDWIND}/subscription/{NORDWIND_E3}"
    raw = await client.call("GET", path)
    assert (raw["taskPendingId"], raw["status"]) == (0, "ok")
    assert PARIS_TIME.fullmatch(raw["creationDate"]), raw["creationDate"]
    task = await client.call("POST", f"{path}/changeQuantity", {"quantity": 13})
    assert PARIS_TIME.fullmatch(task["todoDate"]) and task["finishDate"] is None
    assert (await client.call("GET", path))["taskPendingId"] == task["id"]
    info = await client.call("GET", f"/saas/csp2/{NORDWIND}/serviceInfos")
    assert re.fullmatch(r"\d{4}-\d\d-\d\d", info["expiration"])


async def test_the_legacy_wire_says_null_and_active_and_the_client_reads_the_same(clock) -> None:
    async with serving(make_sandbox(clock, LEGACY)) as server:
        client = server.client()
        path = f"/saas/csp2/{NORDWIND}/subscription/{NORDWIND_E3}"
        raw = await client.call("GET", path)
        assert (raw["taskPendingId"], raw["status"]) == (None, "active")
        sub = await client.get_subscription(NORDWIND, NORDWIND_E3)
    assert sub.task_pending_id is None and sub.creation_date.tzinfo is not None


async def test_batch_answer_has_key_value_error_per_id(http_sandbox: HttpSandbox) -> None:
    client = http_sandbox.client()
    path = f"/saas/csp2/{NORDWIND}/subscription/{NORDWIND_E3},1"
    answer = await client.call("GET", path, batch=True)
    assert [entry["key"] for entry in answer] == [str(NORDWIND_E3), "1"]
    assert answer[0]["value"]["licenseId"] and answer[0]["error"] is None
    assert answer[1]["value"] is None and "does not exist" in answer[1]["error"]


async def raw_get(url: str, headers: dict) -> tuple[int, dict]:
    async with aiohttp.ClientSession() as session, session.get(url, headers=headers) as resp:
        assert resp.headers["X-OVH-QUERYID"]
        return resp.status, await resp.json()


def signed_headers(url: str, *, secret: str = APP_SECRET, stamp: int | None = None,
                   app: str = APP_KEY, consumer: str = CONSUMER_KEY) -> dict:
    stamp = int(time.time()) if stamp is None else stamp
    return {
        "X-Ovh-Application": app,
        "X-Ovh-Consumer": consumer,
        "X-Ovh-Timestamp": str(stamp),
        "X-Ovh-Signature": sign(secret, consumer, "GET", url, "", stamp),
    }


@pytest.mark.parametrize(
    ("case", "status", "body"),
    [  # as the official clients' issue threads show OVHcloud answering (2016–2024)
        ("secret", 400, {"errorCode": "INVALID_SIGNATURE", "httpCode": "400 Bad Request",
                         "message": "Invalid signature", "class": "Client::BadRequest"}),
        ("stale", 400, {"errorCode": "QUERY_TIME_OUT", "httpCode": "400 Bad Request",
                        "message": "Query out of time", "class": "Client::BadRequest"}),
        ("app", 403, {"errorCode": "INVALID_KEY", "httpCode": "403 Forbidden",
                      "class": "Client::Forbidden"}),
        ("consumer", 403, {"errorCode": "INVALID_CREDENTIAL", "httpCode": "403 Forbidden",
                           "class": "Client::Forbidden"}),
    ],
)
async def test_auth_errors_are_answered_as_ovhcloud_does(
    http_sandbox: HttpSandbox, case: str, status: int, body: dict
) -> None:
    url = f"{http_sandbox.url}/saas/csp2"
    headers = {
        "secret": lambda: signed_headers(url, secret="not-the-secret"),
        "stale": lambda: signed_headers(url, stamp=int(time.time()) - 3600),
        "app": lambda: signed_headers(url, app="someone-else"),
        "consumer": lambda: signed_headers(url, consumer="revoked"),
    }[case]()
    got_status, got = await raw_get(url, headers)
    assert got_status == status
    assert {k: got[k] for k in body} == body and got["message"]
    assert http_sandbox.sandbox.calls("listTenants") == []


async def test_wrong_secret_is_an_authentication_error(http_sandbox: HttpSandbox) -> None:
    client = http_sandbox.client(application_secret="not-the-secret")
    with pytest.raises(AuthenticationError) as refused:
        await client.list_tenants()
    err = refused.value
    assert (err.status, err.error_code, err.error_class) == (
        400,
        "INVALID_SIGNATURE",
        "Client::BadRequest",
    )
    assert err.query_id and err.query_id.startswith("EU.")
    assert http_sandbox.sandbox.calls("listTenants") == []


async def test_a_403_signature_refusal_of_older_answers_is_one_too(clock) -> None:
    async with serving(make_sandbox(clock, LEGACY)) as server:
        with pytest.raises(AuthenticationError) as refused:
            await server.client(application_secret="not-the-secret").list_tenants()
    assert (refused.value.status, refused.value.error_code) == (403, "INVALID_SIGNATURE")


async def test_unknown_application_and_consumer_keys(http_sandbox: HttpSandbox) -> None:
    with pytest.raises(AuthenticationError) as bad_app:
        await http_sandbox.client(application_key="someone-else").list_tenants()
    assert bad_app.value.error_code == "INVALID_KEY"
    with pytest.raises(AuthenticationError) as bad_consumer:
        await http_sandbox.client(consumer_key="revoked").list_tenants()
    assert bad_consumer.value.error_code == "INVALID_CREDENTIAL"


async def test_skewed_local_clock_is_corrected_by_auth_time(http_sandbox: HttpSandbox) -> None:
    client = http_sandbox.client(clock=lambda: time.time() + 3 * 3600)
    assert NORDWIND in await client.list_tenants()
    await client.get_subscription(NORDWIND, NORDWIND_E3)
    assert _count(http_sandbox, "/auth/time") == 1


async def test_clock_jump_after_start_refreshes_the_delta_once(http_sandbox: HttpSandbox) -> None:
    offset = [0.0]
    client = http_sandbox.client(clock=lambda: time.time() + offset[0])
    await client.list_tenants()
    offset[0] = 7200  # the host's clock jumps two hours ahead
    task = await client.change_quantity(NORDWIND, NORDWIND_E3, 13)  # refused once, then sent
    assert task.id
    assert _count(http_sandbox, "/auth/time") == 2
    assert http_sandbox.sandbox.calls("changeQuantity") == [{"quantity": 13}]


async def test_auth_time_is_unsigned_and_every_answer_has_a_query_id(
    http_sandbox: HttpSandbox,
) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{http_sandbox.url}/auth/time") as resp:
            assert resp.status == 200
            assert abs(int(await resp.text()) - time.time()) < 5
            assert resp.headers["X-OVH-QUERYID"]
        async with session.get(f"{http_sandbox.url}/saas/csp2") as resp:
            assert resp.status == 403 and resp.headers["X-OVH-QUERYID"]


@pytest.mark.parametrize("removed", ["changeAdministratorPassword", "configureDomain"])
async def test_routes_removed_in_2023_answer_404(http_sandbox: HttpSandbox, removed: str) -> None:
    client = http_sandbox.client()
    body = {"domain": "example.nl", "supportedServices": ["Email"], "password": "x"}
    with pytest.raises(NotFound) as gone:
        await client.call("POST", f"/saas/csp2/{NORDWIND}/{removed}", body)
    assert gone.value.error_class == "Client::NotFound" and gone.value.query_id


async def test_bodies_are_signed_byte_for_byte(http_sandbox: HttpSandbox) -> None:
    """The server recomputes the signature over the bytes it received, so passing writes (one
    with non-ASCII text) prove the client signs exactly what it sends."""
    client = http_sandbox.client()
    await client.update_tenant(NORDWIND, TenantUpdate(display_name="Nordwind — Zuid-Holland"))
    task = await client.add_subscription(NORDWIND, OFFICE_E1, 2)
    assert task.id
    assert http_sandbox.sandbox.calls("updateTenant") == [
        {"displayName": "Nordwind — Zuid-Holland"}
    ]


async def test_error_body_fields_reach_the_typed_error(http_sandbox: HttpSandbox) -> None:
    with pytest.raises(NotFound) as missing:
        await http_sandbox.client().get_subscription(NORDWIND, 1)
    err = missing.value
    assert err.status == 404 and err.error_class == "Client::NotFound"
    assert "does not exist" in err.message and err.query_id


async def test_retry_after_is_honoured_and_backoff_is_bounded() -> None:
    client = OvhProvider("ovh-eu", "k", "s", "c", backoff_base=0.5, backoff_max=4.0)
    limited = RateLimited("slow down", status=429)
    limited.retry_after = 7
    assert client._delay(1, limited) == 7
    for attempt in range(1, 8):
        assert 0 <= client._delay(attempt, ServerError("x")) <= 4.0
    await client.close()


def test_endpoints_by_name_or_url() -> None:
    assert resolve_endpoint("ovh-eu") == "https://eu.api.ovh.com/1.0" == ENDPOINTS["ovh-eu"]
    assert resolve_endpoint("ovh-ca").startswith("https://ca.api.ovh.com")
    assert resolve_endpoint("ovh-us").startswith("https://")
    assert resolve_endpoint("http://127.0.0.1:8080/1.0/") == "http://127.0.0.1:8080/1.0"
    with pytest.raises(ValueError):
        resolve_endpoint("kimsufi-eu-typo")


async def test_one_session_per_provider_closed_by_close(http_sandbox: HttpSandbox) -> None:
    client = http_sandbox.client()
    await client.list_tenants()
    session = client._session
    await client.get_tenant(NORDWIND)
    assert client._session is session and session is not None
    await client.close()
    assert session.closed


async def test_serve_sandbox_runs_until_cancelled(tmp_path) -> None:
    """The entry point behind `csp-bot sandbox --port N`, on an ephemeral port."""
    ready: asyncio.Queue[str] = asyncio.Queue()
    state = tmp_path / "demo.json"
    server = asyncio.create_task(
        serve_sandbox(
            "127.0.0.1",
            0,
            state_path=state,
            application_key=APP_KEY,
            application_secret=APP_SECRET,
            consumer_key=CONSUMER_KEY,
            ready=ready.put_nowait,
        )
    )
    url = await asyncio.wait_for(ready.get(), 5)
    client = OvhProvider(url, APP_KEY, APP_SECRET, CONSUMER_KEY, timeout=2)
    try:
        assert NORDWIND in await client.list_tenants()
        await client.change_quantity(NORDWIND, NORDWIND_E3, 13)
    finally:
        await client.close()
        server.cancel()
        with pytest.raises(asyncio.CancelledError):
            await server
    assert state.exists()  # the demo survives a restart


async def test_concurrency_is_bounded_and_server_time_read_once(http_sandbox: HttpSandbox) -> None:
    http_sandbox.sandbox.faults.set(latency=0.05)
    client = http_sandbox.client(max_concurrency=1)
    started = time.monotonic()
    tenants = await asyncio.gather(*(client.get_tenant(NORDWIND) for _ in range(4)))
    assert len(tenants) == 4
    assert time.monotonic() - started >= 0.2  # one at a time
    assert _count(http_sandbox, "/auth/time") == 1

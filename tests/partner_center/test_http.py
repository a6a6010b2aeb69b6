"""What only the HTTP path has: tokens (msal against the Entra ID stand-in), TLS trust from the
environment, paging with links.next, Partner Center's headers and error bodies."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest

from bot.partner_center import errors
from bot.partner_center.auth import PartnerCenterAuth, TokenKind
from bot.partner_center.client import PartnerCenterClient
from bot.partner_center.sandbox_data import CONTOSO_TENANT, NORDWIND_TENANT, RDS_CAL
from bot.partner_center.sandbox_rules import Caller
from bot.partner_center.sandbox_server import ServerOptions
from bot.partner_center.software import SubscriptionStatus
from tests.partner_center.conftest import (
    CLIENT_ID,
    CLIENT_SECRET,
    PARTNER_TENANT,
    HttpPartnerCenter,
    serving,
)
from tests.partner_center.test_cancellation import order_of

# --- paging ---------------------------------------------------------------------------------


@pytest.mark.parametrize("style", ["bare", "v1", "relative"])
async def test_lists_follow_links_next_with_its_headers(sandbox, tls_material, trust_stand_in,
                                                        style: str) -> None:
    options = ServerOptions(page_size=2, next_uri_style=style)
    async with serving(sandbox, tls_material, options) as server:
        client = server.client()
        customers = await client.list_customers()
        assert len(customers) == 5 and len({c.id for c in customers}) == 5
        pages = server.seen("GET", "/customers")
        assert len(pages) == 3
        assert pages[0].continuation is None and all(p.continuation for p in pages[1:])
        assert "seekOperation=Next" in pages[1].path
        # orders, subscriptions and entitlements page the same way
        assert len(await client.list_orders(NORDWIND_TENANT)) == 3
        assert len(await client.list_entitlements(NORDWIND_TENANT)) == 2


async def test_a_next_link_to_another_host_is_not_followed(http_pc: HttpPartnerCenter) -> None:
    client = http_pc.client()
    with pytest.raises(errors.ServerError) as refused:
        client.transport.link_url("https://elsewhere.example/v1/customers?seekOperation=Next")
    assert "another host" in refused.value.message
    url = client.transport.link_url(http_pc.url + "/v1/customers")
    assert url == http_pc.url + "/v1/customers"


# --- headers and bodies ---------------------------------------------------------------------


async def test_each_call_has_its_own_ids_and_the_answer_echoes_them(
    http_pc: HttpPartnerCenter,
) -> None:
    client = http_pc.client()
    await client.get_customer(NORDWIND_TENANT)
    await client.get_customer(NORDWIND_TENANT)
    first, second = http_pc.seen("GET", f"/customers/{NORDWIND_TENANT}")
    assert first.request_id and first.correlation_id
    assert first.request_id != second.request_id
    assert first.correlation_id != second.correlation_id
    answer = await client.transport.call("GET", f"/customers/{NORDWIND_TENANT}",
                                         kind=TokenKind.APP, request_id="mine")
    assert answer.headers["MS-RequestId"] == "mine" and answer.headers["MS-CV"]


async def test_the_429_body_and_retry_after_reach_the_caller_when_retries_run_out(
    http_pc: HttpPartnerCenter,
) -> None:
    http_pc.sandbox.faults.set(fail_next=[("getCustomer", errors.RateLimited(retry_after=57))] * 3)
    with pytest.raises(errors.RateLimited) as throttled:
        await http_pc.client().get_customer(NORDWIND_TENANT)
    err = throttled.value
    assert err.retry_after == 57 and err.status == 429
    assert err.description == "Rate limit is exceeded. Try again in 57 seconds."
    # Retry-After first, then exponential backoff; never less than Retry-After
    assert len(http_pc.sleeps) == 2 and all(s >= 57 for s in http_pc.sleeps)


async def test_an_answer_larger_than_the_bound_is_refused_once(http_pc: HttpPartnerCenter) -> None:
    client = http_pc.client(max_body=2000)
    with pytest.raises(errors.ServerError) as refused:
        await client.list_customers()
    assert "larger than 2,000 bytes" in refused.value.message
    assert len(http_pc.seen("GET", "/customers")) == 1


async def test_a_subscription_patch_answered_202_is_read_back(http_pc: HttpPartnerCenter) -> None:
    http_pc.sandbox.behaviour.subscription_patch_accepted = True
    client = http_pc.client()
    order = await order_of(client, CONTOSO_TENANT, RDS_CAL)
    sub = await client.get_subscription(CONTOSO_TENANT, order.line_items[0].subscription_id)
    deleted = await client.cancel_subscription(CONTOSO_TENANT, sub)
    assert deleted.id == sub.id and deleted.status == SubscriptionStatus.DELETED
    assert http_pc.seen("GET", f"/subscriptions/{sub.id}")


# --- tokens ---------------------------------------------------------------------------------


async def test_a_burst_of_calls_shares_one_token_request(http_pc: HttpPartnerCenter) -> None:
    client = http_pc.client()
    await asyncio.gather(*(client.get_customer(NORDWIND_TENANT) for _ in range(12)))
    await asyncio.gather(*(client.list_entitlements(NORDWIND_TENANT) for _ in range(6)))
    grants = [r.grant_type for r in http_pc.entra.requests]
    assert grants == ["client_credentials", "refresh_token"]
    assert {r.scope for r in http_pc.entra.requests} == {
        "https://api.partnercenter.microsoft.com/.default"
    }


async def test_a_token_is_renewed_shortly_before_it_expires(http_pc: HttpPartnerCenter) -> None:
    http_pc.entra.lifetime = 100  # renewed 10 s early (a tenth of a short lifetime)
    now = [1000.0]
    auth = PartnerCenterAuth(tenant_id=PARTNER_TENANT, client_id=CLIENT_ID,
                             client_secret=CLIENT_SECRET, authority_url=http_pc.url,
                             clock=lambda: now[0])  # fmt: skip
    first = await auth.token(TokenKind.APP)
    now[0] += 89
    assert await auth.token(TokenKind.APP) is first
    now[0] += 2
    renewed = await auth.token(TokenKind.APP)
    assert renewed is not first and len(http_pc.entra.requests) == 2


async def test_the_refresh_token_rotates_and_the_newest_is_used(
    http_pc: HttpPartnerCenter,
) -> None:
    client = http_pc.client()
    await client.list_entitlements(NORDWIND_TENANT)
    http_pc.entra.revoke(http_pc.refresh_token)  # the stored one no longer works…
    client.auth.forget(TokenKind.APP_USER)
    await client.list_entitlements(NORDWIND_TENANT)  # …but the one it was swapped for does


async def test_the_mfa_claim_is_visible_to_the_bot(http_pc: HttpPartnerCenter) -> None:
    with_mfa = await http_pc.client().auth.token(TokenKind.APP_USER)
    without = await http_pc.client(caller=Caller(mfa=False, name="x@p")).auth.token(
        TokenKind.APP_USER
    )
    assert with_mfa.mfa is True and without.mfa is False
    app_only = await http_pc.client().auth.token(TokenKind.APP)
    assert app_only.mfa is None and app_only.claims()["aud"].endswith("partnercenter.microsoft.com")


async def test_an_app_only_token_is_refused_where_a_user_is_needed(
    http_pc: HttpPartnerCenter,
) -> None:
    client = http_pc.client(user=False)
    with pytest.raises(errors.AppOnlyRefused):  # said without asking Partner Center
        await client.list_entitlements(NORDWIND_TENANT)
    assert http_pc.seen("GET", "/entitlements") == []
    with pytest.raises(errors.AppOnlyRefused) as refused:  # and Partner Center says it too
        await client.transport.call("GET", f"/customers/{NORDWIND_TENANT}/entitlements",
                                    kind=TokenKind.APP)  # fmt: skip
    assert (refused.value.status, refused.value.code) == (403, 900329)


async def test_wrong_client_secret_and_revoked_refresh_token(http_pc: HttpPartnerCenter) -> None:
    with pytest.raises(errors.AuthenticationFailed) as bad_secret:
        await http_pc.client(client_secret="wrong").get_customer(NORDWIND_TENANT)
    assert bad_secret.value.code == "invalid_client"
    assert "PARTNER_CENTER_CLIENT_SECRET" in bad_secret.value.message
    assert "AADSTS7000215" in bad_secret.value.description
    client = http_pc.client()
    http_pc.entra.revoke(http_pc.refresh_token)
    with pytest.raises(errors.AuthenticationFailed) as revoked:
        await client.list_entitlements(NORDWIND_TENANT)
    assert revoked.value.code == "invalid_grant" and "consent again" in revoked.value.message
    assert http_pc.requests == []  # nothing reached Partner Center without a token


async def test_a_forged_token_is_refused_and_forgotten(http_pc: HttpPartnerCenter) -> None:
    client = http_pc.client()
    await client.get_customer(NORDWIND_TENANT)
    good = client.auth._tokens[TokenKind.APP]
    client.auth._tokens[TokenKind.APP] = type(good)(good.value + "x", good.expires_at, good.kind)
    with pytest.raises(errors.AuthenticationFailed) as refused:
        await client.get_customer(NORDWIND_TENANT)
    assert refused.value.status == 401
    assert "invalid_token" in refused.value.details["www_authenticate"]
    assert (await client.get_customer(NORDWIND_TENANT)).id == NORDWIND_TENANT  # a new token


async def test_no_secret_reaches_a_log_line(http_pc: HttpPartnerCenter, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    client = http_pc.client()
    await client.list_entitlements(NORDWIND_TENANT)
    await client.get_customer(NORDWIND_TENANT)
    http_pc.sandbox.faults.set(fail_next=[("getCustomer", errors.ServerError)])
    await client.get_customer(NORDWIND_TENANT)
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "token acquired" in text and "retry 1/2" in text
    tokens = [t.value for t in client.auth._tokens.values()]
    for secret in (CLIENT_SECRET, *http_pc.entra.users, *tokens):  # refresh tokens, rotated too
        assert secret not in text
    assert "Bearer ey" not in text


# --- TLS trust ------------------------------------------------------------------------------


async def test_requests_ca_bundle_alone_is_enough(sandbox, tls_material, monkeypatch) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", "/etc/ssl/certs/ca-certificates.crt")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tls_material.ca_file))
    async with serving(sandbox, tls_material) as server:
        assert len(await server.client().list_entitlements(NORDWIND_TENANT)) == 2


async def test_an_untrusted_stand_in_is_refused_in_plain_words(
    sandbox, tls_material, monkeypatch
) -> None:
    for var in ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(var, raising=False)
    async with serving(sandbox, tls_material) as server:
        with pytest.raises(errors.Unavailable) as refused:
            await server.client().get_customer(NORDWIND_TENANT)
        assert "SSL_CERT_FILE or REQUESTS_CA_BUNDLE" in refused.value.message
        auth = PartnerCenterAuth(tenant_id=PARTNER_TENANT, client_id=CLIENT_ID,
                                 client_secret=CLIENT_SECRET, authority_url=server.url)
        client = PartnerCenterClient(auth, server.url, retries=0)
        client.auth._tokens[TokenKind.APP] = await _trusted_token(server, monkeypatch, tls_material)
        monkeypatch.delenv("SSL_CERT_FILE")
        with pytest.raises(errors.Unavailable):  # aiohttp does not trust it either
            await client.get_customer(NORDWIND_TENANT)
        await client.close()


async def _trusted_token(server: HttpPartnerCenter, monkeypatch, tls_material):
    monkeypatch.setenv("SSL_CERT_FILE", str(tls_material.ca_file))
    auth = PartnerCenterAuth(tenant_id=PARTNER_TENANT, client_id=CLIENT_ID,
                             client_secret=CLIENT_SECRET, authority_url=server.url)
    token = await auth.token(TokenKind.APP)
    assert token.expires_at > time.time()
    return token

"""The front door: forged signatures are 401 with no effect; malformed bodies are 400, never
500, signed or not; a response_url off Slack's hosts is never posted to."""

from __future__ import annotations

import json

import aiohttp
import pytest

from bot.app.server import EVENTS_PATH
from bot.app.slack_gate import json_depth, response_url_allowed
from tests.conftest import ALICE, STAFF_CHANNEL
from tests.resilience.conftest import effects, errors_logged
from tests.resilience.probes import (
    forged_headers,
    malformed_bodies,
    signed,
    victim_bodies,
)


async def post(bot, body: str | bytes, content_type: str, headers) -> tuple[int, str]:
    url = f"http://127.0.0.1:{bot.port}{EVENTS_PATH}"
    raw = body.encode() if isinstance(body, str) else body
    async with aiohttp.ClientSession() as session:
        async with session.post(
            url, data=raw, headers=[("Content-Type", content_type), *headers]
        ) as response:
            return response.status, await response.text()


async def test_forged_signatures_are_refused_with_no_effect(bot, emulator, quiet):
    """Every forged header set on every kind of body: 401, no Slack call, no response_url
    post, no draft, nothing at ERROR (the header formats once crashed verification, and the
    error handler then answered the attacker's response_url)."""
    before = len(emulator.calls)
    target = emulator.response_url("attacker")
    probes = 0
    for kind, (body, content_type) in victim_bodies(target, ALICE).items():
        for name, headers in forged_headers(body).items():
            status, text = await post(bot, body, content_type, headers)
            assert status == 401, (kind, name, status, text)
            probes += 1
    await bot.runtime.notifier.settle()
    assert probes == 4 * len(forged_headers("x")) >= 100
    assert effects(emulator, before) == []
    assert emulator.response_urls == {}
    assert errors_logged(quiet) == []


async def test_a_correctly_signed_request_still_passes(slack):
    reply = await slack.command("help")
    assert reply.status == 200 and "/csp" in reply.text


@pytest.mark.parametrize("name", sorted(malformed_bodies()))
async def test_malformed_bodies_are_400_signed_or_not(bot, emulator, quiet, name):
    body, content_type = malformed_bodies()[name]
    before = len(emulator.calls)
    status, text = await post(bot, body, content_type, signed(body))
    assert status == 400, (name, status, text)
    unsigned, _text = await post(bot, body, content_type, [])
    assert unsigned in (400, 401), (name, unsigned)
    assert effects(emulator, before) == []
    assert errors_logged(quiet) == []


async def test_a_signed_request_with_a_foreign_response_url_is_refused(bot, emulator, quiet):
    """Even signed, a response_url off Slack's hosts is never answered (nor posted to)."""
    before = len(emulator.calls)
    for target in ("https://evil.example/hook", "http://hooks.slack.com/x",
                   "https://hooks.slack.com.evil.example/x", "javascript:alert(1)"):
        for kind, (body, content_type) in victim_bodies(target, ALICE).items():
            if kind == "event":
                continue
            status, _text = await post(bot, body, content_type, signed(body))
            assert status == 400, (target, kind, status)
    assert effects(emulator, before) == []
    assert errors_logged(quiet) == []


def test_response_url_rule():
    api = "http://127.0.0.1:4567/api/"
    assert response_url_allowed("https://hooks.slack.com/commands/T1/2/x", api)
    assert response_url_allowed("https://hooks.slack-gov.com/actions/T1/2/x", api)
    assert response_url_allowed("http://127.0.0.1:4567/response/1", api)
    assert not response_url_allowed("http://127.0.0.1:4568/response/1", api)
    assert not response_url_allowed("http://hooks.slack.com/commands/x", api)
    assert not response_url_allowed("https://hooks.slack.com.evil.example/x", api)
    assert not response_url_allowed("https://evil.example/?hooks.slack.com", api)
    assert not response_url_allowed(5, api)
    assert not response_url_allowed("https://[::1/x", api)


def test_json_depth_ignores_brackets_in_strings():
    assert json_depth('{"a": "[[[[[", "b": [1, {"c": "\\"]]]"}]}') == 3
    assert json_depth("[" * 5000) == 5000
    assert json_depth('"' + "[" * 10 + '"') == 0


async def test_the_error_handler_answers_a_verified_response_url_only(slack, emulator, bot):
    """An unexpected failure still tells the user, on the (Slack-host) response_url."""
    async def boom(*_a, **_kw):
        raise RuntimeError("boom")

    bot.runtime.roles.require = boom  # type: ignore[method-assign]
    payload = {
        "type": "block_actions", "user": {"id": ALICE}, "channel": {"id": STAFF_CHANNEL},
        "trigger_id": "1.2.3", "response_url": emulator.response_url("mine"),
        "actions": [{"action_id": "home_seats", "value": ""}],
    }
    reply = await slack.send_form({"payload": json.dumps(payload)})
    assert reply.status == 200
    assert "reference" in json.dumps(emulator.response_urls["mine"])


async def test_slacks_certificate_check_is_answered_and_nothing_else(bot, emulator, quiet):
    """`ssl_check=1` (answered by bolt before it verifies signatures) gets a bare 200."""
    before = len(emulator.calls)
    status, text = await post(bot, "ssl_check=1&token=x", "application/x-www-form-urlencoded", [])
    assert (status, text) == (200, "")
    status, _text = await post(bot, "ssl_check=1&command=%2Fcsp&user_id=U0ALICE",
                               "application/x-www-form-urlencoded", [])
    assert status == 401
    assert effects(emulator, before) == [] and errors_logged(quiet) == []

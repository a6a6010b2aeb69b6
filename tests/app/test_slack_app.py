"""The skeleton as Slack sees it: signed requests in, answers and Web API calls out."""

from __future__ import annotations

import logging
import time

import aiohttp

from bot.app.logs import install_redaction
from bot.slack.access import anyone
from tests.conftest import BOT_TOKEN, SIGNING_SECRET


async def test_help_lists_every_subcommand_with_an_example(slack, bot):
    reply = await slack.command("help")
    assert reply.status == 200
    assert reply.json["response_type"] == "ephemeral"
    for entry in bot.bolt.router.entries:
        assert f"/csp {entry.name}" in reply.text
        assert entry.example in reply.text


async def test_bare_command_shows_help(slack):
    reply = await slack.command("")
    assert reply.status == 200
    assert "/csp help" in reply.text
    assert "I don't know" not in reply.text


async def test_unknown_subcommand_answers_help_and_a_suggestion(slack):
    reply = await slack.command("hlep me")
    assert reply.status == 200
    assert "I don't know `/csp hlep`" in reply.text
    assert "Did you mean `/csp help`?" in reply.text
    assert "/csp help" in reply.text


async def test_unknown_subcommand_without_close_match_has_no_suggestion(slack):
    reply = await slack.command("zzzzzz")
    assert "I don't know `/csp zzzzzz`" in reply.text
    assert "Did you mean" not in reply.text


async def test_bad_signature_is_refused(slack, emulator):
    calls_before = len(emulator.calls)
    body = "command=%2Fcsp&text=help&user_id=U0ALICE"
    headers = slack.signed_headers(body)
    headers["X-Slack-Signature"] = "v0=" + "0" * 64
    reply = await slack.post(body, "application/x-www-form-urlencoded", headers)
    assert reply.status == 401
    assert len(emulator.calls) == calls_before  # nothing was done on its behalf


async def test_unsigned_request_is_refused(slack):
    reply = await slack.post("command=%2Fcsp&text=help", "application/x-www-form-urlencoded", {})
    assert reply.status == 401


async def test_stale_timestamp_is_refused(slack):
    six_minutes_ago = int(time.time()) - 360
    reply = await slack.command("help", timestamp=six_minutes_ago)
    assert reply.status == 401


async def test_a_timestamp_within_five_minutes_is_accepted(slack):
    reply = await slack.command("help", timestamp=int(time.time()) - 200)
    assert reply.status == 200


async def test_health_and_readiness(bot):
    async with aiohttp.ClientSession() as http:
        async with http.get(f"http://127.0.0.1:{bot.port}/healthz") as r:
            assert r.status == 200
            assert (await r.json())["status"] == "ok"
        async with http.get(f"http://127.0.0.1:{bot.port}/readyz") as r:
            assert r.status == 200
            assert (await r.json()) == {"status": "ok", "database": "ok"}


async def test_readiness_fails_while_migrations_are_pending(settings, sandbox, clock):
    from bot.app.runtime import Runtime
    from bot.app.server import Server

    server = Server(settings, Runtime(settings, provider=sandbox, clock=clock))
    await server.runtime.start(migrate=False, background=False)
    server.runtime.start = _noop  # keep the schema empty
    await server.start(background=False)
    try:
        async with aiohttp.ClientSession() as http:
            async with http.get(f"http://127.0.0.1:{server.port}/readyz") as r:
                assert r.status == 503
                assert (await r.json())["database"] == "migrations pending"
            async with http.get(f"http://127.0.0.1:{server.port}/healthz") as r:
                assert r.status == 200
    finally:
        await server.stop()


async def _noop(**_kw) -> None:
    return None


async def test_draining_server_reports_not_ready_and_refuses_new_events(bot, slack):
    bot.runtime.draining = True
    async with aiohttp.ClientSession() as http:
        async with http.get(f"http://127.0.0.1:{bot.port}/readyz") as r:
            assert r.status == 503
    reply = await slack.command("help")
    assert reply.status == 503
    bot.runtime.draining = False


async def test_first_request_verifies_the_token_with_auth_test(slack, emulator):
    await slack.command("help")
    auth = [c for c in emulator.calls if c.method == "auth.test"]
    assert len(auth) == 1
    assert auth[0].token == BOT_TOKEN


async def test_tokens_and_secrets_never_reach_a_log_line(slack, emulator, caplog):
    install_redaction([BOT_TOKEN, SIGNING_SECRET])
    caplog.set_level(logging.DEBUG)
    await slack.command("help")
    await slack.command("nonsense")
    logging.getLogger("csp_bot.test").info("token is %s and secret %s", BOT_TOKEN, SIGNING_SECRET)
    logging.getLogger("csp_bot.test").info("a token we were never told of: xoxb-42-unknownvalue")
    assert emulator.calls, "the bot talked to Slack"
    assert caplog.records, "debug logging captured something"
    text = "\n".join(r.getMessage() for r in caplog.records) + caplog.text
    assert BOT_TOKEN not in text
    assert SIGNING_SECRET not in text
    assert "xoxb-42-unknownvalue" not in text
    assert "token is *** and secret ***" in text
    assert "never told of: xoxb-***" in text


async def test_an_unexpected_error_gives_a_reference_not_a_trace(slack, bot, caplog):
    from handlers.router import Subcommand

    async def broken(call):
        raise RuntimeError("database exploded at line 42")

    bot.bolt.router.add(Subcommand("broken", "Breaks.", "/csp broken", broken,
                               access=anyone("a test subcommand")))
    reply = await slack.command("broken")
    assert reply.status == 200
    assert "Sorry, something went wrong" in reply.text
    assert "exploded" not in reply.text and "Traceback" not in reply.text
    reference = reply.text.split("reference `")[1].split("`")[0]
    assert any(reference in r.getMessage() for r in caplog.records)


async def test_a_domain_error_is_answered_in_plain_words(slack, bot):
    from bot.core.errors import NotAllowed
    from handlers.router import Subcommand

    async def refuse(call):
        raise NotAllowed("Only support agents can do that.")

    bot.bolt.router.add(Subcommand("refuse", "Refuses.", "/csp refuse", refuse,
                               access=anyone("a test subcommand")))
    reply = await slack.command("refuse")
    assert reply.status == 200
    assert reply.json == {"response_type": "ephemeral", "text": "Only support agents can do that."}


async def test_socket_mode_answers_help_over_the_websocket(emulator, tmp_path, sandbox, clock):
    from bot.app.runtime import Runtime
    from bot.app.server import Server
    from tests.conftest import make_settings

    settings = make_settings(emulator, f"sqlite+aiosqlite:///{tmp_path}/s.db",
                             slack_app_token="xapp-1-A0CSP-secretsocket", slack_signing_secret=None)
    server = Server(settings, Runtime(settings, provider=sandbox, clock=clock))
    await server.start(background=False)
    try:
        opened = [c for c in emulator.calls if c.method == "apps.connections.open"]
        assert opened and opened[0].token == "xapp-1-A0CSP-secretsocket"
        answer = await emulator.socket_send("slash_commands", {
            "command": "/csp", "text": "help", "user_id": "U0ALICE", "channel_id": "C0STAFF",
            "team_id": "T0CSP", "trigger_id": "1.2.3", "response_url": emulator.response_url(),
        })
        assert answer["response_type"] == "ephemeral"
        assert "/csp help" in answer["text"]
        async with aiohttp.ClientSession() as http:  # health checks still served
            async with http.get(f"http://127.0.0.1:{server.port}/healthz") as r:
                assert r.status == 200
            async with http.post(f"http://127.0.0.1:{server.port}/slack/events") as r:
                assert r.status in (404, 405)  # no HTTP endpoint in Socket Mode
    finally:
        await server.stop()


async def test_a_cold_burst_of_requests_makes_one_auth_test(slack, emulator):
    import asyncio

    replies = await asyncio.gather(*(slack.command("help") for _ in range(30)))
    assert all(r.status == 200 for r in replies)
    assert len(emulator.calls_of("auth.test")) == 1


async def test_help_is_built_once_and_rebuilt_when_a_subcommand_is_added(bot, slack):
    from handlers.router import Subcommand

    router = bot.bolt.router
    assert router.help_message() is router.help_message()

    async def noop(call):
        await call.ack()

    router.add(Subcommand("zeta", "A late subcommand.", "/csp zeta", noop,
                               access=anyone("a test subcommand")))
    assert "/csp zeta" in (await slack.command("help")).text

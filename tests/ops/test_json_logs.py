"""`LOG_FORMAT=json`: one JSON object a line, with the Slack request's correlation id (carried
into the background work it starts) and the request ref on the worker's lines; secrets stay
redacted in every field. Parsed line by line, in process and from `csp-bot serve`."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import os
import signal
import sys
import time

import aiohttp
import pytest

from bot.app.log_format import JsonLineFormatter, LogFormat, resolve
from bot.app.logs import configure_logging, install_redaction, redact
from bot.provider.sandbox_data import NORDWIND_E3
from bot.slack.access import anyone
from tests.app.test_cli import free_port, wait_until_ready
from tests.conftest import BOT_TOKEN, SIGNING_SECRET
from tests.flows.conftest import settle
from tests.flows.test_seats import form_values, review
from tests.slack_emulator import SlackDriver


@pytest.fixture
def json_log():
    """Every record of the test, formatted as the bot's JSON lines into a buffer."""
    install_redaction([BOT_TOKEN, SIGNING_SECRET])
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonLineFormatter(redact))
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def parse(text: str) -> list[dict]:
    lines = [line for line in text.splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]  # every line is one JSON object
    for record in records:
        assert {"timestamp", "level", "logger", "message"} <= set(record), record
    return records


async def test_a_seat_change_is_followed_from_the_slack_request_to_the_worker(
    slack, emulator, bot, synced, json_log
):
    reply = await review(slack, emulator, "/csp seats", form_values(NORDWIND_E3, 13))
    emulator.fail("chat.postMessage", "channel_not_found", times=4)  # the card, in background
    await slack.submit(reply.view)
    await bot.runtime.notifier.settle()
    await settle(bot.runtime)
    records = parse(json_log.getvalue())

    confirmed = next(r for r in records if r["message"].endswith("draft → queued by U0ALICE"))
    ref, correlation = confirmed["request_ref"], confirmed["correlation_id"]
    assert ref.startswith("R") and len(correlation) == 12
    # the access line of that Slack request carries the same id
    access = [r for r in records if r["logger"] == "csp_bot.slack.access"]
    assert [r["correlation_id"] for r in access].count(correlation) == 1
    assert len({r["correlation_id"] for r in access}) == len(access) == 3  # one id a request
    # the card failed in a task the listener started after its answer: same id, and the ref
    failed = [r for r in records if r["message"].startswith(f"could not update the cards of "
                                                            f"{ref} (now queued)")]
    assert failed and all(r["correlation_id"] == correlation for r in failed)
    assert all(r["request_ref"] == ref and "channel_not_found" in r["exc_info"] for r in failed)
    # the worker's lines about the request name it, and no Slack request
    worker = [r for r in records if r["message"].endswith("by worker")]
    assert [r["message"].split(": ")[1] for r in worker] == [
        "queued → running by worker", "running → done by worker"
    ]
    assert all(r["request_ref"] == ref and "correlation_id" not in r for r in worker)


async def test_an_unexpected_error_shows_the_correlation_id_as_its_reference(slack, bot, json_log):
    from handlers.router import Subcommand

    async def broken(call):
        raise RuntimeError(f"leaked {BOT_TOKEN}")

    bot.bolt.router.add(Subcommand("broken", "Breaks.", "/csp broken", broken,
                               access=anyone("a test subcommand")))
    reply = await slack.command("broken")
    reference = reply.text.split("reference `")[1].split("`")[0]
    (failure,) = [r for r in parse(json_log.getvalue()) if r["level"] == "ERROR"]
    assert failure["correlation_id"] == reference
    assert "RuntimeError: leaked ***" in failure["exc_info"]


def test_every_field_is_redacted(json_log):
    log = logging.getLogger("csp_bot.test")
    log.warning("token %s", BOT_TOKEN, extra={"detail": {"secret": SIGNING_SECRET},
                                              "tokens": ["xoxb-99-neverseen"]})
    try:
        raise ValueError(f"bad secret {SIGNING_SECRET}")
    except ValueError:
        log.exception("failed")
    text = json_log.getvalue()
    assert BOT_TOKEN not in text and SIGNING_SECRET not in text and "neverseen" not in text
    first, second = parse(text)
    assert first["message"] == "token ***"
    assert first["detail"] == {"secret": "***"} and first["tokens"] == ["xoxb-***"]
    assert "ValueError: bad secret ***" in second["exc_info"]


def test_auto_is_text_on_a_terminal_and_json_otherwise():
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert resolve(LogFormat.AUTO, Terminal()) is LogFormat.TEXT
    assert resolve(LogFormat.AUTO, io.StringIO()) is LogFormat.JSON
    assert resolve("text", io.StringIO()) is LogFormat.TEXT


def test_text_lines_carry_the_context_too(capsys):
    from bot.app.log_context import REQUEST_REF

    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    root.handlers = []  # configure_logging then makes its handler on capsys's stderr
    try:
        configure_logging("INFO", [BOT_TOKEN], LogFormat.TEXT)
        logging.getLogger("csp_bot.test").info("moved %s", BOT_TOKEN, extra={REQUEST_REF: "R7"})
        logging.getLogger("alembic.runtime.plugins").info("setup plugin %s", "x")
    finally:
        root.handlers = handlers
        root.setLevel(level)
    err = capsys.readouterr().err
    assert "INFO csp_bot.test: moved *** [request_ref=R7]" in err
    assert "setup plugin" not in err  # start-up chatter is DEBUG


async def test_csp_bot_serve_writes_json_lines_only(tmp_path, emulator):
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if k != "SLACK_APP_TOKEN"},
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/serve.db", "LOG_FORMAT": "json",
        "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": emulator.api_url, "HOST": "127.0.0.1", "PORT": str(port),
        "CSP_PROVIDER": "sandbox", "CSP_SYNC_INTERVAL": "3600",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.app.cli", "serve", env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with aiohttp.ClientSession() as http:
            await wait_until_ready(http, f"http://127.0.0.1:{port}")
        driver = SlackDriver(emulator, f"http://127.0.0.1:{port}/slack/events", SIGNING_SECRET)
        assert (await driver.command("help")).status == 200
        assert (await driver.command("help", timestamp=int(time.time()) - 400)).status == 401
        await driver.close()
        process.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(process.communicate(), 30)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 0
    records = parse(err.decode())
    messages = [r["message"] for r in records]
    assert not any(m.startswith(("setup plugin", "Context impl", "Will assume")) for m in messages)
    assert any(m.startswith("Running upgrade") for m in messages)  # migrations stay at INFO
    access = [r for r in records if r["logger"] == "csp_bot.slack.access"]
    assert [r["message"].split(" (")[1] for r in access] == ["ok)", "rejected)"]
    assert len({r["correlation_id"] for r in access}) == 2
    assert records[-1]["message"] == "stopped cleanly"
    assert BOT_TOKEN not in err.decode()

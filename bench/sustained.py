"""Sustained load: signed Slack interactions of every kind for a minute, on SQLite or PostgreSQL,
and the worker's throughput.

Why: a reseller's whole staff on a Monday morning is many people typing, clicking and
submitting at once. The goal: on this 2-core machine, at least 1,000 interactions a second for
60 s with no error, and the worker sending the confirmed requests on to OVHcloud as they come.

What runs, on 127.0.0.1:
  * here: the Slack stand-in (tests/slack_emulator.py) and the CSP2 sandbox over HTTP
    (bot/provider/sandbox_server.py, its seeded demo world, tasks finishing in 0.2 s);
  * `csp-bot serve` in a process of its own, HTTP mode, OVHcloud's client against the sandbox,
    on a fresh SQLite file or a fresh PostgreSQL database, worker and loops running;
  * the load driver in a process of its own (`--drive`): `--concurrency` loops, each sending in
    turn a slash command (help, a group's subscriptions, a seat modal), a typeahead
    (groups, subscriptions), a press of a row's "Change seats" button and a seat form submission
    (answered with the confirmation view); and one loop per subscription that confirms a seat
    increase and waits until it is no longer open (the worker sent it and the task finished).
It counts every answer that is not a 200 or that says something went wrong as an error, and the
`changeQuantity` requests the sandbox received while the load ran.

    .venv/bin/python bench/sustained.py [--seconds 60] [--concurrency 32]
                                        [--database-url postgresql+asyncpg://…] [--json PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import math
import os
import sys
import tempfile
import time
import urllib.parse
import uuid
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from bench.soak import OVH_KEYS, Replica  # noqa: E402

SIGNING_SECRET = "sustained-signing-secret-5e1a"
BOT_TOKEN = "xoxb-0000-0000-sustained"
GOAL_PER_SECOND = 1000.0


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)] if ordered else float("nan")


# --- the driver process -----------------------------------------------------------------------


class Load:
    """Signed requests to one bot, timed and checked."""

    def __init__(self, url: str, hooks: str) -> None:
        from slack_sdk.signature import SignatureVerifier

        self.url, self.hooks = url, hooks
        self.verifier = SignatureVerifier(SIGNING_SECRET)
        self.latencies: dict[str, list[float]] = {}
        self.errors: list[str] = []
        self.refused = 0
        self.confirmed = 0
        self._n = itertools.count()
        self.session = None

    async def post(self, kind: str, fields: dict) -> tuple[int, str]:
        body = urllib.parse.urlencode(fields)
        ts = str(int(time.time()))
        headers = {"Content-Type": "application/x-www-form-urlencoded",
                   "X-Slack-Request-Timestamp": ts,
                   "X-Slack-Signature": self.verifier.generate_signature(timestamp=ts, body=body)}
        started = time.perf_counter()
        async with self.session.post(self.url, data=body.encode(), headers=headers) as response:
            text = await response.text()
        self.latencies.setdefault(kind, []).append(time.perf_counter() - started)
        if response.status != 200:
            self.errors.append(f"{kind}: HTTP {response.status}: {text[:200]}")
        elif "something went wrong" in text.lower():
            self.errors.append(f"{kind}: error reply: {text[:200]}")
        return response.status, text

    def user(self) -> dict:
        return {"id": "U0ALICE", "username": "alice", "name": "alice", "team_id": "T0CSP"}

    async def command(self, text: str) -> None:
        await self.post("command", {
            "token": "unused", "team_id": "T0CSP", "team_domain": "csp", "channel_id": "C0STAFF",
            "channel_name": "staff", "user_id": "U0ALICE", "user_name": "alice", "command": "/csp",
            "text": text, "api_app_id": "A0CSP", "response_url": self.hooks,
            "trigger_id": f"{next(self._n)}.{int(time.time())}.load"})

    async def payload(self, kind: str, payload: dict) -> tuple[int, str]:
        return await self.post(kind, {"payload": json.dumps(payload)})

    async def suggest(self, action_id: str, value: str, view: dict) -> None:
        await self.payload("typeahead", {
            "type": "block_suggestion", "team": {"id": "T0CSP"}, "user": self.user(),
            "api_app_id": "A0CSP", "action_id": action_id, "block_id": "b", "value": value,
            "view": view, "container": {"type": "view", "view_id": view["id"]}})

    async def button(self, action_id: str, value: str) -> None:
        await self.payload("button", {
            "type": "block_actions", "team": {"id": "T0CSP"}, "user": self.user(),
            "api_app_id": "A0CSP", "trigger_id": f"{next(self._n)}.{int(time.time())}.load",
            "actions": [{"action_id": action_id, "block_id": "b", "type": "button",
                         "value": value, "action_ts": f"{time.time():.6f}"}],
            "channel": {"id": "C0STAFF"}, "response_url": self.hooks,
            "container": {"type": "message", "message_ts": "1.0", "channel_id": "C0STAFF"}})

    async def submit(self, view: dict, values: dict, kind: str = "submission") -> dict | None:
        from tests.slack_emulator import state_values

        submitted = {**view, "state": {"values": state_values(view, values)}}
        status, text = await self.payload(kind, {
            "type": "view_submission", "team": {"id": "T0CSP"}, "user": self.user(),
            "api_app_id": "A0CSP", "trigger_id": f"{next(self._n)}.{int(time.time())}.load",
            "view": submitted})
        if status != 200:
            return None
        answer = json.loads(text) if text.startswith("{") else {}
        if answer.get("response_action") == "errors":
            self.refused += 1
            return None
        return answer


async def drive(url: str, hooks: str, setup: dict, seconds: float, concurrency: int) -> dict:
    import aiohttp

    from bot.core.ids import OptionsAction, SubscriptionAction
    from tests.flows.test_seats import form_values

    forms = setup["forms"]  # [{"group", "sub", "seats", "view"}]
    load = Load(url, hooks)
    deadline = time.monotonic() + seconds

    async def mixed(n: int) -> None:
        rng = itertools.count(n)
        while time.monotonic() < deadline:
            form = forms[next(rng) % len(forms)]
            view = {**form["view"], "id": "V0LOAD"}
            await load.command("help")
            await load.suggest(OptionsAction.TENANT, "nord", view)
            await load.command(f"subs {form['group']}")
            await load.suggest(OptionsAction.SUBSCRIPTION, "e3", view)
            await load.button(SubscriptionAction.CHANGE_SEATS, str(form["sub"]))
            await load.submit(view, form_values(form["sub"], form["seats"] + 50,
                                                tenant=form["group"]))
            await load.command(f"seats {form['group']}")

    async def confirmer(form: dict) -> None:
        seats = form["seats"]
        view = {**form["view"], "id": "V0CONF"}
        while time.monotonic() < deadline:
            answer = await load.submit(view, form_values(form["sub"], seats + 1,
                                                         tenant=form["group"]), "submission")
            if answer is None or "view" not in answer:  # the last one is still open
                await asyncio.sleep(0.1)
                continue
            confirm = {**answer["view"], "id": "V0PUSHED"}
            if await load.submit(confirm, {}, "confirm") is not None:
                load.confirmed += 1
                seats += 1

    connector = aiohttp.TCPConnector(limit=concurrency + len(forms))
    async with aiohttp.ClientSession(connector=connector) as session:
        load.session = session
        started = time.perf_counter()
        await asyncio.gather(*(mixed(n) for n in range(concurrency)),
                             *(confirmer(f) for f in forms))
        wall = time.perf_counter() - started
    every = [x for v in load.latencies.values() for x in v]
    return {
        "wall_s": wall, "requests": len(every), "per_second": len(every) / wall,
        "by_kind": {k: len(v) for k, v in load.latencies.items()},
        "p50_ms": percentile(every, 50) * 1000, "p99_ms": percentile(every, 99) * 1000,
        "p99_ms_by_kind": {k: percentile(v, 99) * 1000 for k, v in load.latencies.items()},
        "errors": load.errors[:50], "error_count": len(load.errors), "refused": load.refused,
        "confirmed": load.confirmed,
    }


# --- the run ----------------------------------------------------------------------------------


async def fresh_postgres(admin_url: str) -> tuple[str, str]:
    import asyncpg
    from sqlalchemy.engine import make_url

    url = make_url(admin_url)
    name = f"csp_bench_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(host=url.host, port=url.port or 5432, user=url.username,
                                 password=url.password, database=url.database)
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    return url.set(database=name).render_as_string(hide_password=False), name


async def drop_postgres(admin_url: str, name: str) -> None:
    import asyncpg
    from sqlalchemy.engine import make_url

    url = make_url(admin_url)
    conn = await asyncpg.connect(host=url.host, port=url.port or 5432, user=url.username,
                                 password=url.password, database=url.database)
    await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await conn.close()


async def sustained(args: argparse.Namespace) -> dict:
    import aiohttp

    from bot.provider.sandbox import SandboxProvider
    from bot.provider.sandbox_data import (
        NORDWIND,
        NORDWIND_BASIC,
        NORDWIND_E3,
        PADARIA,
        PADARIA_BASIC,
    )
    from bot.provider.sandbox_server import create_sandbox_app, start_sandbox_server
    from tests.slack_emulator import SlackEmulator

    chosen = [(NORDWIND, NORDWIND_E3), (NORDWIND, NORDWIND_BASIC), (PADARIA, PADARIA_BASIC)]
    directory = Path(tempfile.mkdtemp(prefix="csp-sustained-"))
    pg_name = None
    if args.database_url:
        database_url, pg_name = await fresh_postgres(args.database_url)
    else:
        database_url = f"sqlite+aiosqlite:///{directory / 'bot.db'}"
    sandbox = SandboxProvider(task_duration=timedelta(seconds=0.2))
    emulator = await SlackEmulator().start()
    runner, sandbox_url = await start_sandbox_server(
        create_sandbox_app(sandbox, *OVH_KEYS.values()), "127.0.0.1", 0)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "CSP_", "OVH_"))},
        "DATABASE_URL": database_url, "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET, "SLACK_API_URL": emulator.api_url,
        "HOST": "127.0.0.1", "LOG_FORMAT": "json", "LOG_LEVEL": "WARNING",
        "CSP_PROVIDER": "ovh", "OVH_ENDPOINT": sandbox_url, **OVH_KEYS,
        "CSP_EVERYONE_IS_STAFF": "true", "CSP_APPROVALS_CHANNEL": "C0APPROVALS",
        "CSP_WORKER_INTERVAL": "0.2", "CSP_WORKER_POLL_SECONDS": "0.2",
        "CSP_SYNC_INTERVAL": "600",
    }
    bot = Replica("bot", env, directory)
    try:
        await bot.start()
        async with aiohttp.ClientSession() as http:
            await bot.ready(http)
        forms = await _seat_forms(emulator, bot.url, chosen, sandbox)
        views_path = directory / "views.json"
        views_path.write_text(json.dumps({"forms": forms}))
        emulator.calls.clear()
        sandbox.clear_calls()
        memory_start = bot.rss_mb()
        process = await asyncio.create_subprocess_exec(
            sys.executable, __file__, "--drive", bot.url + "/slack/events",
            emulator.response_url("load"), str(views_path), str(args.seconds),
            str(args.concurrency), stdout=asyncio.subprocess.PIPE)
        out, _ = await process.communicate()
        result = json.loads(out)
        writes = [c for c in sandbox.call_log if c.op == "changeQuantity"]
        result["provider_writes"] = len(writes)
        result["writes_per_second"] = len(writes) / result["wall_s"]
        result["memory_mb"] = {"start": memory_start, "end": bot.rss_mb()}
        emulator.calls.clear()
    finally:
        result_code = await bot.stop()
        await runner.cleanup()
        await emulator.stop()
        if pg_name:
            await drop_postgres(args.database_url, pg_name)
    log_errors = bot.error_lines()
    result["log_errors"] = log_errors[:20]
    result["error_count"] += len(log_errors) + (result_code not in (0, None))
    result["database"] = "PostgreSQL" if pg_name else "SQLite"
    result["concurrency"] = args.concurrency
    return result


async def _seat_forms(emulator, url: str, chosen, sandbox) -> list[dict]:
    """Opens one seat modal per chosen subscription (as Slack would show it)."""
    from tests.slack_emulator import SlackDriver

    driver = SlackDriver(emulator, url + "/slack/events", SIGNING_SECRET)
    forms = []
    try:
        for _ in range(300):  # the start-up sync fills the cache
            reply = await driver.command(f"seats {chosen[0][0]} {chosen[0][1]}")
            if "views.open" in [c.method for c in emulator.calls]:
                break
            await asyncio.sleep(0.1)
        for group, sub in chosen:
            emulator.calls.clear()
            reply = await driver.command(f"seats {group} {sub}")
            opened = emulator.calls_of("views.open")
            if reply.status != 200 or not opened:
                raise SystemExit(f"the seat modal of {sub} did not open: {reply.body[:300]}")
            view = opened[-1]["view"]
            view = json.loads(view) if isinstance(view, str) else view
            seats = (await sandbox.get_subscription(group, sub)).quantity
            forms.append({"group": group, "sub": sub, "seats": seats, "view": view})
    finally:
        await driver.close()
    return forms


def report(r: dict) -> None:
    print(f"sustained load on {r['database']}: {r['requests']} interactions in {r['wall_s']:.0f} s "
          f"= {r['per_second']:.0f}/s (goal ≥ {GOAL_PER_SECOND:.0f}), {r['concurrency']} loops")
    print(f"  by kind: {r['by_kind']}")
    print(f"  latency p50 {r['p50_ms']:.1f} ms, p99 {r['p99_ms']:.1f} ms; p99 by kind: "
          + ", ".join(f"{k} {v:.0f}" for k, v in sorted(r["p99_ms_by_kind"].items())))
    print(f"  confirmed {r['confirmed']}, provider writes {r['provider_writes']} "
          f"({r['writes_per_second']:.1f}/s); refused while one was open: {r['refused']}")
    print(f"  errors: {r['error_count']}")
    for e in r["errors"][:5] + r["log_errors"][:5]:
        print(f"    {e}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--concurrency", type=int, default=32, help="mixed-load loops")
    parser.add_argument("--database-url", help="a PostgreSQL server where a scratch database "
                        "may be created (default: a SQLite file)")
    parser.add_argument("--json", type=Path, help="also write the figures there (run_all)")
    parser.add_argument("--drive", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.drive:
        url, hooks, views, seconds, concurrency = args.drive
        setup = json.loads(Path(views).read_text())
        result = asyncio.run(drive(url, hooks, setup, float(seconds), int(concurrency)))
        json.dump(result, sys.stdout)
        return 0
    result = asyncio.run(sustained(args))
    report(result)
    if args.json:
        args.json.write_text(json.dumps(result))
    return 1 if result["error_count"] else 0


if __name__ == "__main__":
    sys.exit(main())

"""The seat modal under load, and the memory of a bot with a big cache.

Why: `/csp seats <group>` must open its modal (`views.open`) while Slack's trigger id lives
(3 seconds), from the cache, however many people ask at once. The goal: with 10,000 license
groups cached (10 subscriptions each, 100,000 in all) and 50 commands in flight, the time from
sending the command to `views.open` arriving at Slack has a p99 of at most 3 × the p99 of a bare
bolt AsyncApp's ack measured in the same run. Then, in the same bot process, typeahead over those
100,000 subscriptions, and the process's memory: at most 150 MB resident.

What runs, all on 127.0.0.1:
  * this process: a Slack stand-in (tests/slack_emulator.py, answering at once) that notes when
    each `views.open` arrives, and the load driver;
  * csp-bot in a process of its own (`--serve`: `bot.app.server.Server` in HTTP mode, the cache a
    SQLite file filled through sync's write path, background loops off so nothing but the load
    runs);
  * a bare AsyncApp in a process of its own (`--serve-bare`), acking `/csp` with nothing.
Both clocks are CLOCK_MONOTONIC (`time.perf_counter` on Linux), so a send time in the driver and
an arrival time in the stand-in compare. Passes alternate bare, bot, bot, bare (ABBA).

    .venv/bin/python bench/seat_modal.py [--groups 10000] [--requests 1000] [--concurrency 50]
                                         [--suggestions 1000] [--json PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import math
import os
import random
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

SIGNING_SECRET = "bench-signing-secret-7f3e"
BOT_TOKEN = "xoxb-0000-0000-benchtoken"
EVENTS_PATH = "/slack/events"
SUBSCRIPTIONS_PER_GROUP = 10
RSS_GOAL_MB = 150.0
P99_GOAL_RATIO = 3.0


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


# --- the two servers, each in its own process ----------------------------------------------


async def serve_bot(db_path: str, api_url: str) -> None:
    """csp-bot over the prepared cache; prints its port, runs until stdin closes."""
    from bot.app.config import Settings
    from bot.app.server import Server

    settings = Settings(
        _env_file=None, slack_bot_token=BOT_TOKEN, slack_signing_secret=SIGNING_SECRET,
        slack_api_url=api_url, host="127.0.0.1", port=0,
        database_url=f"sqlite+aiosqlite:///{db_path}", csp_provider="sandbox",
        csp_everyone_is_staff=True, log_level="WARNING",
    )
    server = Server(settings)
    await server.start(background=False)  # no sync: it would replace the synthetic cache
    profile_path = os.environ.get("CSP_BENCH_PROFILE")  # a cProfile of the bot's process
    profiler = None
    if profile_path:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    await _serve_until_stdin_closes(server.port)
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(profile_path)
    await server.stop()


async def serve_bare(api_url: str) -> None:
    from bench.ack_latency import start_bare_app

    runner, port = await start_bare_app(api_url)
    await _serve_until_stdin_closes(port)
    await runner.cleanup()


async def _serve_until_stdin_closes(port: int) -> None:
    print(port, flush=True)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.read)


class Served:
    """A server process started with `--serve` or `--serve-bare`."""

    def __init__(self, process: asyncio.subprocess.Process, port: int) -> None:
        self.process, self.url = process, f"http://127.0.0.1:{port}{EVENTS_PATH}"

    @classmethod
    async def start(cls, *args: str) -> Served:
        process = await asyncio.create_subprocess_exec(
            sys.executable, __file__, *args, stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        line = await asyncio.wait_for(process.stdout.readline(), 120)
        if not line.strip().isdigit():
            raise SystemExit(f"the server {args[0]} did not start")
        return cls(process, int(line))

    def memory_mb(self) -> dict[str, float]:
        """Resident memory now and at its peak (VmRSS, VmHWM), from /proc (Linux)."""
        out = {}
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = int(value.split()[0]) / 1024
        return out

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    async def stop(self) -> None:
        self.process.stdin.close()
        try:
            await asyncio.wait_for(self.process.wait(), 30)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()


# --- the Slack stand-in: when did each views.open arrive -------------------------------------


def stand_in():
    from tests.slack_emulator import SlackEmulator

    class TimedSlack(SlackEmulator):
        """Answers at once, keeps no views (memory), notes each views.open's arrival; every
        trigger id is taken (the load makes its own: Slack's 3-second life is what the
        figure is compared with, not checked here)."""

        def __init__(self) -> None:
            super().__init__(bot_token=BOT_TOKEN)
            self.opened: dict[str, float] = {}
            self.last_view: dict | None = None
            passthrough = self.api.call

            def call(method: str, args: dict, token: str):
                from aiohttp import web

                self.calls.clear()
                if method != "views.open":
                    return passthrough(method, args, token)
                self.opened[args.get("trigger_id", "")] = time.perf_counter()
                view = args["view"]
                self.last_view = view = json.loads(view) if isinstance(view, str) else view
                return web.json_response({"ok": True, "view": {**view, "id": "V0BENCH",
                                                               "hash": "1"}})

            self.api.call = call  # type: ignore[method-assign]

    return TimedSlack()


# --- the load --------------------------------------------------------------------------------


async def send_commands(url: str, texts: list[str], concurrency: int, prefix: str,
                        response_url: str) -> dict:
    """Signed `/csp <text>` for each text, `concurrency` in flight on kept-alive connections;
    returns each one's send time (perf_counter), ack latency and status, by trigger id."""
    import aiohttp
    from slack_sdk.signature import SignatureVerifier

    verifier = SignatureVerifier(SIGNING_SECRET)
    sent: dict[str, float] = {}
    acks: list[float] = []
    statuses: dict[int, int] = {}
    work = iter(enumerate(texts))

    async def worker(session: aiohttp.ClientSession) -> None:
        for n, text in work:
            trigger = f"{prefix}{n}.{int(time.time())}.bench"
            body = urllib.parse.urlencode({
                "token": "unused", "team_id": "T0CSP", "team_domain": "csp",
                "channel_id": "C0STAFF", "channel_name": "staff", "user_id": "U0ALICE",
                "user_name": "alice", "command": "/csp", "text": text, "api_app_id": "A0CSP",
                "response_url": response_url, "trigger_id": trigger,
            })
            ts = str(int(time.time()))
            headers = {
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Slack-Request-Timestamp": ts,
                "X-Slack-Signature": verifier.generate_signature(timestamp=ts, body=body),
            }
            started = time.perf_counter()
            async with session.post(url, data=body.encode(), headers=headers) as response:
                await response.read()
            acks.append(time.perf_counter() - started)
            sent[trigger] = started
            statuses[response.status] = statuses.get(response.status, 0) + 1

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        started = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
        wall = time.perf_counter() - started
    return {"sent": sent, "acks": acks, "statuses": statuses, "wall": wall}


async def send_suggestions(url: str, view: dict, fragments: list[str]) -> list[float]:
    """block_suggestion for the seat modal's subscription select, one at a time (P3 again,
    through HTTP and bolt, in the bot process whose memory is measured)."""
    import aiohttp
    from slack_sdk.signature import SignatureVerifier

    from bot.core.ids import OptionsAction

    verifier = SignatureVerifier(SIGNING_SECRET)
    latencies = []
    async with aiohttp.ClientSession() as session:
        for value in fragments:
            payload = {
                "type": "block_suggestion", "team": {"id": "T0CSP"},
                "user": {"id": "U0ALICE", "username": "alice", "team_id": "T0CSP"},
                "api_app_id": "A0CSP", "action_id": OptionsAction.SUBSCRIPTION,
                "block_id": "subscription", "value": value, "view": view,
                "container": {"type": "view", "view_id": view.get("id", "V0BENCH")},
            }
            body = urllib.parse.urlencode({"payload": json.dumps(payload)})
            ts = str(int(time.time()))
            headers = {
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Slack-Request-Timestamp": ts,
                "X-Slack-Signature": verifier.generate_signature(timestamp=ts, body=body),
            }
            started = time.perf_counter()
            async with session.post(url, data=body.encode(), headers=headers) as response:
                text = await response.text()
            latencies.append(time.perf_counter() - started)
            if response.status != 200 or "options" not in text:
                raise SystemExit(f"typeahead failed: {response.status} {text[:300]}")
    return latencies


# --- the cache ----------------------------------------------------------------------------------


async def prepare_cache(path: Path, groups: int) -> list[str]:
    """The SQLite file holding `groups` synthetic groups (reused when it already does); returns
    their service names."""
    from bench import typeahead

    typeahead.SUBSCRIPTIONS_PER_TENANT = SUBSCRIPTIONS_PER_GROUP
    db, snapshots = await typeahead.prepare(path, groups)
    await db.close()
    return [s.tenant.service_name for s in snapshots]


# --- the run ----------------------------------------------------------------------------------


async def benchmark(args: argparse.Namespace) -> dict:
    logging.basicConfig(level=logging.WARNING)
    db_path = args.db or Path(tempfile.gettempdir()) / f"csp-bench-seats-{args.groups}.db"
    names = await prepare_cache(db_path, args.groups)
    slack = await stand_in().start()
    bot = await Served.start("--serve", str(db_path), slack.api_url)
    bare = await Served.start("--serve-bare", slack.api_url)
    rng = random.Random(11)
    hooks = slack.response_url("bench")
    memory_start = bot.memory_mb()
    result: dict = {"groups": args.groups, "subscriptions": args.groups * SUBSCRIPTIONS_PER_GROUP,
                    "concurrency": args.concurrency, "requests": args.requests}
    try:
        # warm-up: both servers, the bot's seat path and its SQLite page cache
        await send_commands(bare.url, ["help"] * 200, args.concurrency, "w", hooks)
        await send_commands(bot.url, [f"seats {rng.choice(names)}" for _ in range(200)],
                            args.concurrency, "w", hooks)
        opened: list[float] = []
        seat_acks: list[float] = []
        bare_acks: list[float] = []
        statuses: dict[str, dict] = {"bot": {}, "bare": {}}
        cpu = {"bot": 0.0, "bare": 0.0}
        per_pass = math.ceil(args.requests / 2)
        for n, who in enumerate(("bare", "bot", "bot", "bare")):
            server = bare if who == "bare" else bot
            before = server.cpu_seconds()
            if who == "bare":
                out = await send_commands(bare.url, ["help"] * per_pass, args.concurrency,
                                          f"b{n}.", hooks)
                bare_acks += out["acks"]
            else:
                texts = [f"seats {rng.choice(names)}" for _ in range(per_pass)]
                out = await send_commands(bot.url, texts, args.concurrency, f"s{n}.", hooks)
                seat_acks += out["acks"]
                missing = [t for t in out["sent"] if t not in slack.opened]
                if missing:
                    raise SystemExit(f"{len(missing)} seat modals did not open")
                opened += [slack.opened[t] - s for t, s in out["sent"].items()]
            cpu[who] += server.cpu_seconds() - before
            for status, count in out["statuses"].items():
                statuses[who][str(status)] = statuses[who].get(str(status), 0) + count
            print(f"  pass {n + 1} {who:5} done in {out['wall']:.1f} s", flush=True)
        view = slack.last_view or {}
        fragments = [rng.choice(["nord", "bak", "5000", "e3", "premium", "", "contoso", "zq"])
                     for _ in range(args.suggestions)]
        typeahead_ms = [x * 1000 for x in await send_suggestions(bot.url, view, fragments)]
        memory_end = bot.memory_mb()
        memory_bare = bare.memory_mb()
    finally:
        await bot.stop()
        await bare.stop()
        await slack.stop()
    ms = [x * 1000 for x in opened]
    bare_ms = [x * 1000 for x in bare_acks]
    result.update({
        "views_open": {"p50_ms": percentile(ms, 50), "p99_ms": percentile(ms, 99),
                       "max_ms": max(ms)},
        "seat_ack": {"p50_ms": percentile([x * 1000 for x in seat_acks], 50),
                     "p99_ms": percentile([x * 1000 for x in seat_acks], 99)},
        "bare_ack": {"p50_ms": percentile(bare_ms, 50), "p99_ms": percentile(bare_ms, 99),
                     "max_ms": max(bare_ms)},
        "cpu_ms": {who: cpu[who] * 1000 / (per_pass * 2) for who in cpu},
        "statuses": statuses,
        "typeahead": {"n": len(typeahead_ms), "p50_ms": percentile(typeahead_ms, 50),
                      "p99_ms": percentile(typeahead_ms, 99)},
        "memory_mb": {"bot_start": memory_start, "bot_end": memory_end, "bare": memory_bare},
    })
    result["ratio_p99"] = result["views_open"]["p99_ms"] / result["bare_ack"]["p99_ms"]
    result["errors"] = sum(c for who in statuses.values() for s, c in who.items() if s != "200")
    return result


def report(r: dict) -> None:
    print(f"seat modal: {r['requests']} `/csp seats <group>` per app, {r['concurrency']} in "
          f"flight, {r['groups']:,} groups / {r['subscriptions']:,} subscriptions cached")
    vo, ba, sa = r["views_open"], r["bare_ack"], r["seat_ack"]
    print(f"  views.open arrives:   p50 {vo['p50_ms']:7.1f} ms  p99 {vo['p99_ms']:7.1f} ms  "
          f"max {vo['max_ms']:7.1f} ms")
    print(f"  bot's ack:            p50 {sa['p50_ms']:7.1f} ms  p99 {sa['p99_ms']:7.1f} ms")
    print(f"  bare AsyncApp's ack:  p50 {ba['p50_ms']:7.1f} ms  p99 {ba['p99_ms']:7.1f} ms")
    print(f"  CPU per request: bot {r['cpu_ms']['bot']:.2f} ms, bare {r['cpu_ms']['bare']:.2f} ms")
    print(f"  p99 ratio views.open / bare ack: {r['ratio_p99']:.2f} (goal ≤ {P99_GOAL_RATIO})")
    t = r["typeahead"]
    print(f"  typeahead through HTTP: {t['n']} calls, p50 {t['p50_ms']:.1f} ms, "
          f"p99 {t['p99_ms']:.1f} ms")
    m = r["memory_mb"]
    print(f"  bot RSS: {m['bot_start']['VmRSS']:.0f} MB at start, {m['bot_end']['VmRSS']:.0f} MB "
          f"after (peak {m['bot_end']['VmHWM']:.0f} MB; goal ≤ {RSS_GOAL_MB:.0f}); "
          f"bare AsyncApp {m['bare']['VmRSS']:.0f} MB")
    print(f"  HTTP statuses: {r['statuses']}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--groups", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=1000, help="measured commands per app")
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--suggestions", type=int, default=1000)
    parser.add_argument("--db", type=Path, help="the cache file (default: in the temp dir)")
    parser.add_argument("--json", type=Path, help="also write the figures there (run_all)")
    parser.add_argument("--serve", nargs=2, metavar=("DB", "API_URL"), help=argparse.SUPPRESS)
    parser.add_argument("--serve-bare", metavar="API_URL", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        asyncio.run(serve_bot(*args.serve))
        return 0
    if args.serve_bare:
        asyncio.run(serve_bare(args.serve_bare))
        return 0
    result = asyncio.run(benchmark(args))
    report(result)
    if args.json:
        args.json.write_text(json.dumps(result))
    return 1 if result["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())

"""Ack latency: the whole csp-bot app answering `/csp help` against a bare bolt AsyncApp.

Why: Slack gives every slash command 3 seconds, and bolt's default
(`process_before_response=False`) runs the listener as a task and polls for `ack()` every
10 ms, which adds up to 10 ms to every answer. csp-bot answers when the listener returns
(`process_before_response=True`); this benchmark checks that all the rest it does on the
way (runtime middleware, the router, Block Kit models for the help) keeps it at least as
fast as a bare app that only acks.

One run starts, in this process:
  * the Slack emulator (tests/slack_emulator.py), which both apps call for `auth.test`;
  * csp-bot: `bot.app.server.Server`, SQLite in a temporary directory, the sandbox provider,
    background loops running, exactly as `csp-bot serve` runs in HTTP mode;
  * a bare `AsyncApp` with bolt's default settings, acking `/csp` with nothing, served by
    aiohttp through the same adapter calls and runner options as csp-bot's server.
The load comes from a separate driver process (this script with `--drive`), so the client's
own work does not share the servers' event loop: it sends correctly signed slash commands
over HTTP on 127.0.0.1, `--concurrency` at a time, with kept-alive connections (as Slack's
would be). The passes run app, bare, bare, app, … (ABBA) so drift affects both alike; each
pass warms up before measuring.

    .venv/bin/python bench/ack_latency.py [--requests 2000] [--concurrency 50] [--check]
                                          [--profile 40]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import logging
import math
import os
import pstats
import resource
import sys
import tempfile
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

SIGNING_SECRET = "bench-signing-secret-7f3e"
BOT_TOKEN = "xoxb-0000-0000-benchtoken"
EVENTS_PATH = "/slack/events"


# --- the driver (a separate process): signed slash commands, timed -----------------------------


async def drive(url: str, text: str, requests: int, concurrency: int, warmup: int,
                response_url: str = "http://127.0.0.1:9/response/bench") -> dict:
    """Sends `warmup` then `requests` signed `/csp <text>`; returns latencies and statuses."""
    import aiohttp
    from slack_sdk.signature import SignatureVerifier

    verifier = SignatureVerifier(SIGNING_SECRET)
    base = {
        "token": "unused",
        "team_id": "T0CSP",
        "team_domain": "csp",
        "channel_id": "C0STAFF",
        "channel_name": "staff",
        "user_id": "U0ALICE",
        "user_name": "alice",
        "command": "/csp",
        "text": text,
        "api_app_id": "A0CSP",
        "response_url": response_url,  # the bot answers only to Slack's (the emulator's) host
    }
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    sample = ""
    counter = iter(range(warmup + requests))

    async def one(session: aiohttp.ClientSession, n: int) -> None:
        nonlocal sample
        body = urllib.parse.urlencode({**base, "trigger_id": f"{n}.{time.time():.0f}.bench"})
        ts = str(int(time.time()))
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": verifier.generate_signature(timestamp=ts, body=body),
        }
        started = time.perf_counter()
        async with session.post(url, data=body.encode(), headers=headers) as response:
            answer = await response.text()
        elapsed = time.perf_counter() - started
        if n >= warmup:
            latencies.append(elapsed)
            statuses[response.status] = statuses.get(response.status, 0) + 1
        sample = sample or answer

    async def worker(session: aiohttp.ClientSession) -> None:
        for n in counter:
            await one(session, n)

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        started = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
        wall = time.perf_counter() - started
    return {"latencies": latencies, "statuses": statuses, "sample": sample[:2000], "wall": wall}


async def run_pass(url: str, text: str, requests: int, concurrency: int, warmup: int,
                   response_url: str) -> dict:
    """Runs the driver in its own process and reads its JSON answer."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        __file__,
        "--drive",
        url,
        "--text",
        text,
        "--requests",
        str(requests),
        "--concurrency",
        str(concurrency),
        "--warmup",
        str(warmup),
        "--response-url",
        response_url,
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await process.communicate()
    if process.returncode != 0:
        raise SystemExit(f"the load driver failed (exit {process.returncode})")
    return json.loads(out)


# --- the two servers ------------------------------------------------------------------------


async def start_bare_app(api_url: str):
    """bolt's defaults, acking a no-op `/csp`, on aiohttp like csp-bot's own server."""
    from aiohttp import web
    from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
    from slack_bolt.async_app import AsyncApp
    from slack_sdk.web.async_client import AsyncWebClient

    bolt = AsyncApp(
        client=AsyncWebClient(token=BOT_TOKEN, base_url=api_url),
        signing_secret=SIGNING_SECRET,
        logger=logging.getLogger("bench.bare"),
    )

    @bolt.command("/csp")
    async def noop(ack) -> None:
        await ack()

    async def slack_events(request: web.Request) -> web.Response:
        bolt_response = await bolt.async_dispatch(await to_bolt_request(request))
        return await to_aiohttp_response(bolt_response)

    web_app = web.Application()
    web_app.router.add_post(EVENTS_PATH, slack_events)
    runner = web.AppRunner(web_app, handle_signals=False, shutdown_timeout=20)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return runner, runner.addresses[0][1]


async def start_csp_bot(api_url: str, directory: str):
    from bot.app.config import Settings
    from bot.app.server import Server

    settings = Settings(
        _env_file=None,
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=api_url,
        host="127.0.0.1",
        port=0,
        database_url=f"sqlite+aiosqlite:///{directory}/csp-bot.db",
        csp_provider="sandbox",
        log_level="WARNING",
    )
    server = Server(settings)
    await server.start(background=True)
    return server


# --- measuring ------------------------------------------------------------------------------


async def settle(limit: float = 60.0, window: float = 0.25) -> float:
    """Waits until this process is idle (start-up work such as the first cache sync is done),
    so that it is not measured as ack latency. Returns the seconds waited."""
    started = time.perf_counter()
    while time.perf_counter() - started < limit:
        cpu = time.process_time()
        await asyncio.sleep(window)
        if time.process_time() - cpu < window * 0.05:
            break
    return time.perf_counter() - started


@dataclass
class Result:
    name: str
    latencies: list[float]
    wall: float
    statuses: dict[str, int]
    cpu_per_request: float  # seconds of server-process CPU, warm-up included

    @property
    def key(self) -> str:
        return "app" if self.name.startswith("csp-bot") else "bare"

    def percentile(self, p: float) -> float:
        """Nearest-rank percentile, in milliseconds."""
        ordered = sorted(self.latencies)
        return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)] * 1000

    @property
    def throughput(self) -> float:
        return len(self.latencies) / self.wall if self.wall else 0.0


def listener_order(bolt) -> str:
    """bolt tries listeners in registration order and runs every matcher of each one before
    the one that matches: a slash command registered last pays for all the others."""
    listeners = getattr(bolt, "_async_listeners", [])
    position = next(
        (
            i
            for i, listener in enumerate(listeners)
            if getattr(listener.ack_function, "__name__", "") == "dispatch"  # Router.dispatch
        ),
        None,
    )
    return (
        f"csp-bot has {len(listeners)} listeners; /csp is tried after {position} others"
        if position is not None
        else f"csp-bot has {len(listeners)} listeners"
    )


def peak_rss_mib(who: int) -> float:
    """Peak resident set size; Linux reports KiB, macOS bytes."""
    peak = resource.getrusage(who).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


async def benchmark(args: argparse.Namespace) -> int:
    from tests.slack_emulator import SlackEmulator

    logging.basicConfig(level=logging.WARNING)
    rss_before = peak_rss_mib(resource.RUSAGE_SELF)
    emulator = await SlackEmulator(bot_token=BOT_TOKEN).start()
    with tempfile.TemporaryDirectory(prefix="csp-bench-") as directory:
        server = await start_csp_bot(emulator.api_url, directory)
        bare_runner, bare_port = await start_bare_app(emulator.api_url)
        print(f"start-up work done after {await settle():.1f} s; measuring", flush=True)
        print(listener_order(server.bolt), flush=True)
        targets = {
            "csp-bot /csp help": (f"http://127.0.0.1:{server.port}{EVENTS_PATH}", "help"),
            "bare AsyncApp no-op": (f"http://127.0.0.1:{bare_port}{EVENTS_PATH}", "help"),
        }
        names = list(targets)
        samples: dict[str, list[float]] = {name: [] for name in names}
        walls = dict.fromkeys(names, 0.0)
        cpu = dict.fromkeys(names, 0.0)
        statuses: dict[str, dict[str, int]] = {name: {} for name in names}
        per_pass = math.ceil(args.requests / args.rounds)
        profiler = cProfile.Profile() if args.profile else None
        try:
            for round_ in range(args.rounds):
                order = names if round_ % 2 == 0 else names[::-1]  # ABBA
                for name in order:
                    url, text = targets[name]
                    cpu_before = time.process_time()
                    if profiler is not None and name == names[0]:
                        profiler.enable()
                    out = await run_pass(url, text, per_pass, args.concurrency, args.warmup,
                                         emulator.response_url("bench"))
                    if profiler is not None:
                        profiler.disable()
                    cpu[name] += time.process_time() - cpu_before
                    samples[name] += out["latencies"]
                    one_pass = Result(name, out["latencies"], out["wall"], {}, 0.0)
                    print(
                        f"  pass {round_ + 1} {name:22} p50 {one_pass.percentile(50):7.2f} ms"
                        f"  p99 {one_pass.percentile(99):7.2f} ms",
                        flush=True,
                    )
                    walls[name] += out["wall"]
                    for status, count in out["statuses"].items():
                        statuses[name][status] = statuses[name].get(status, 0) + count
                    if name == names[0] and "/csp help" not in out["sample"]:
                        raise SystemExit(f"csp-bot did not answer with the help: {out['sample']}")
        finally:
            await bare_runner.cleanup()
            await server.stop()
            await emulator.stop()

    total = per_pass + args.warmup
    app, bare = (
        Result(n, samples[n], walls[n], statuses[n], cpu[n] / (total * args.rounds)) for n in names
    )
    if profiler is not None:
        print("csp-bot's server process while it answered (cProfile, cumulative time):")
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(args.profile)
    return report(args, app, bare, rss_before)


def report(args: argparse.Namespace, app: Result, bare: Result, rss_before: float) -> int:
    print(
        f"ack latency: {args.requests} signed slash commands per app, {args.concurrency} at a "
        f"time, {args.rounds} rounds (ABBA), {args.warmup} warm-up requests per pass"
    )
    print(f"machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, {sys.platform}")
    print(
        f"{'':22} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'req/s':>8} {'CPU ms/req':>10}"
        "  HTTP statuses"
    )
    for r in (app, bare):
        print(
            f"{r.name:22} {r.percentile(50):8.2f} {r.percentile(99):8.2f} "
            f"{r.percentile(100):8.2f} {r.throughput:8.0f} {r.cpu_per_request * 1000:10.3f}"
            f"  {r.statuses}"
        )
    p50 = app.percentile(50) / bare.percentile(50)
    p99 = app.percentile(99) / bare.percentile(99)
    print(f"ratio app / bare:      p50 {p50:.2f}   p99 {p99:.2f}   (≤ 1.00 is the goal)")
    print(
        f"peak RSS: {peak_rss_mib(resource.RUSAGE_SELF):.1f} MiB in the server process "
        f"(csp-bot, bare app and emulator; {rss_before:.1f} MiB before they started)"
    )
    errors = sum(c for s, c in {**app.statuses, **bare.statuses}.items() if s != "200")
    if args.json:
        figures = {
            r.key: {"p50_ms": r.percentile(50), "p99_ms": r.percentile(99),
                    "max_ms": r.percentile(100), "per_second": r.throughput,
                    "cpu_ms": r.cpu_per_request * 1000, "statuses": r.statuses}
            for r in (app, bare)
        }
        Path(args.json).write_text(json.dumps({
            **figures, "ratio_p50": p50, "ratio_p99": p99, "errors": errors,
            "requests": args.requests, "concurrency": args.concurrency,
        }))
    if errors or app.statuses.get("200", 0) + bare.statuses.get("200", 0) == 0:
        print("some requests were not answered with 200: the numbers are not comparable")
        return 1
    met = p50 <= 1.0 and p99 <= 1.0
    print("goal met" if met else "goal NOT met: csp-bot is slower than the bare app")
    return 0 if met or not args.check else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000, help="measured requests per app")
    parser.add_argument("--concurrency", type=int, default=50, help="requests in flight")
    parser.add_argument("--warmup", type=int, default=200, help="unmeasured requests per pass")
    parser.add_argument("--rounds", type=int, default=2, help="passes per app, in ABBA order")
    parser.add_argument("--check", action="store_true", help="exit 1 when the goal is missed")
    parser.add_argument(
        "--profile",
        type=int,
        metavar="N",
        default=0,
        help="profile csp-bot's passes and print the N costliest functions (skews the numbers)",
    )
    parser.add_argument("--json", metavar="PATH", help="also write the figures there (run_all)")
    parser.add_argument("--drive", metavar="URL", help=argparse.SUPPRESS)
    parser.add_argument("--text", default="help", help=argparse.SUPPRESS)
    parser.add_argument("--response-url", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if min(args.requests, args.concurrency, args.rounds) < 1 or args.warmup < 0:
        parser.error("--requests, --concurrency and --rounds must be ≥ 1, --warmup ≥ 0")
    if args.drive:
        result = asyncio.run(
            drive(args.drive, args.text, args.requests, args.concurrency, args.warmup,
                  args.response_url)
        )
        json.dump(result, sys.stdout)
        return 0
    return asyncio.run(benchmark(args))


if __name__ == "__main__":
    sys.exit(main())

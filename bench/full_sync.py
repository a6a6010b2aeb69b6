"""A full sync of a big reseller against OVHcloud's API with real latency, batch reads against
one call per object, and an incremental sync.

Why: the cache is only as good as its last sync. With 1,000 license groups of 20 subscriptions
and 20 ms per call, a sync that reads object by object, one call after the other, would take
minutes; the goal is a wall time of at most 1.2 × (calls × latency ÷ concurrency), that is: the
calls it makes are all in flight up to the bound, and it makes few of them (batch reads).

What runs:
  * the CSP2 sandbox served over HTTP (bot/provider/sandbox_server.py) in a process of its own
    (`--serve-sandbox`), holding `--groups` groups × 20 subscriptions, every answer delayed by
    `--latency` (an aiohttp middleware, so a batch read costs one latency, as one request does);
    it counts the requests it answers and the most that were in flight at once;
  * here: `bot.app.runtime.Runtime` with OVHcloud's client (`CSP_PROVIDER=ovh`) pointed at it and a
    fresh SQLite cache, running `Syncer.sync_all()` — the sync the bot runs every
    CSP_SYNC_INTERVAL — once with batch reads, once against a server that refuses them (the
    client then reads one object per call: the naive sync), and then the incremental sync
    after a few changes made upstream.

    .venv/bin/python bench/full_sync.py [--groups 1000] [--latency 0.02] [--concurrency 8]
                                        [--changes 20] [--json PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import random
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

SUBSCRIPTIONS_PER_GROUP = 20
GOAL = 1.2


# --- the sandbox process ----------------------------------------------------------------------


def big_world(sandbox, groups: int, seed: int = 5) -> None:
    """`groups` license groups × 20 subscriptions of the sandbox's plain licenses."""
    from bot.core.domain import Subscription, Tenant
    from bot.provider.sandbox_data import SubscriptionRecord, TenantRecord, catalogue_licenses

    rng = random.Random(seed)
    now = datetime.now(UTC)
    licenses = catalogue_licenses()
    plain = [lic.id for lic in licenses.values() if not lic.is_addon and lic.new_seats_allowed]
    next_id = 6_000_000
    for n in range(groups):
        sn = f"csp2-{n:06d}s.o365.ovh"
        record = TenantRecord(
            tenant=Tenant(service_name=sn, display_name=f"Bench Group {n}", status="ok",
                          creation_date=now - timedelta(days=800)),
            licenses=dict(licenses),
        )
        for _ in range(SUBSCRIPTIONS_PER_GROUP):
            created = now - timedelta(days=rng.randint(40, 700))
            seats = rng.randint(1, 12)  # within every license's limit per group
            record.subscriptions[next_id] = SubscriptionRecord(
                subscription=Subscription(id=next_id, license_id=rng.choice(plain),
                                          quantity=seats, creation_date=created,
                                          last_update=created),
                history=[(created, seats)],
            )
            next_id += 1
        sandbox.world.tenants[sn] = record


async def serve_sandbox(groups: int, latency: float, batch: bool) -> None:
    """Prints the API URL; then answers commands on stdin: `calls` (prints and resets the
    counters), `change N` (changes the seats of N subscriptions in N groups upstream)."""
    from aiohttp import web

    from bot.provider.sandbox import SandboxProvider
    from bot.provider.sandbox_conventions import OVHCLOUD
    from bot.provider.sandbox_server import create_sandbox_app, start_sandbox_server

    sandbox = SandboxProvider(seed=False, task_duration=timedelta(0),
                              conventions=replace(OVHCLOUD, batch_reads=batch))
    big_world(sandbox, groups)
    counters = {"calls": 0, "in_flight": 0, "peak_in_flight": 0, "by_path": {}}

    @web.middleware
    async def slow_and_counted(request: web.Request, handler):
        counters["calls"] += 1
        counters["in_flight"] += 1
        counters["peak_in_flight"] = max(counters["peak_in_flight"], counters["in_flight"])
        parts = request.path.split("/")[4:]  # /1.0/saas/csp2/{sn}/…
        kind = "/".join(p if not p[:1].isdigit() else "{id}" for p in parts[1:]) or "/"
        counters["by_path"][kind] = counters["by_path"].get(kind, 0) + 1
        started = time.process_time()
        try:
            await asyncio.sleep(latency)
            return await handler(request)
        finally:
            counters["in_flight"] -= 1
            counters["cpu_s"] = counters.get("cpu_s", 0.0) + time.process_time() - started

    app = create_sandbox_app(sandbox)
    app.middlewares.insert(0, slow_and_counted)
    runner, url = await start_sandbox_server(app)
    print(url, flush=True)
    loop = asyncio.get_running_loop()
    rng = random.Random(9)
    while line := await loop.run_in_executor(None, sys.stdin.readline):
        command, *rest = line.split()
        if command == "calls":
            print(json.dumps(counters), flush=True)
            counters.update(calls=0, peak_in_flight=0, by_path={}, cpu_s=0.0)
        elif command == "change":
            names = rng.sample(sorted(sandbox.world.tenants), int(rest[0]))
            for sn in names:
                sub = rng.choice(list(sandbox.world.tenants[sn].subscriptions.values()))
                await sandbox.change_quantity(sn, sub.subscription.id,
                                              sub.subscription.quantity + 1)
            print(json.dumps(names), flush=True)
    await runner.cleanup()


class SandboxProcess:
    def __init__(self, process: asyncio.subprocess.Process, url: str) -> None:
        self.process, self.url = process, url

    @classmethod
    async def start(cls, groups: int, latency: float, batch: bool) -> SandboxProcess:
        process = await asyncio.create_subprocess_exec(
            sys.executable, __file__, "--serve-sandbox", str(groups), str(latency),
            "batch" if batch else "one-by-one",
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        )
        url = (await asyncio.wait_for(process.stdout.readline(), 300)).decode().strip()
        if not url.startswith("http"):
            raise SystemExit("the sandbox did not start")
        return cls(process, url)

    async def ask(self, command: str):
        self.process.stdin.write(command.encode() + b"\n")
        await self.process.stdin.drain()
        return json.loads(await self.process.stdout.readline())

    async def stop(self) -> None:
        self.process.stdin.close()
        await self.process.wait()


# --- the bot's side ---------------------------------------------------------------------------


def bot_runtime(sandbox_url: str, db_path: Path, concurrency: int):
    from bot.app.config import Settings
    from bot.app.runtime import Runtime
    from bot.provider.sandbox_server import (
        DEFAULT_APPLICATION_KEY,
        DEFAULT_APPLICATION_SECRET,
        DEFAULT_CONSUMER_KEY,
    )

    settings = Settings(
        _env_file=None, slack_bot_token="xoxb-0000-0000-benchtoken",
        slack_signing_secret="bench-signing-secret", csp_provider="ovh",
        ovh_endpoint=sandbox_url, ovh_application_key=DEFAULT_APPLICATION_KEY,
        ovh_application_secret=DEFAULT_APPLICATION_SECRET,
        ovh_consumer_key=DEFAULT_CONSUMER_KEY,
        database_url=f"sqlite+aiosqlite:///{db_path}", csp_sync_concurrency=concurrency,
        log_level="WARNING",
    )
    return Runtime(settings)


async def one_sync(runtime, sandbox: SandboxProcess, latency: float, concurrency: int,
                   run) -> dict:
    await sandbox.ask("calls")  # reset
    started, cpu = time.perf_counter(), time.process_time()
    report = await run()
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    counters = await sandbox.ask("calls")
    calls = counters["calls"]
    ideal = calls * latency / concurrency
    return {
        "wall_s": wall, "calls": calls, "ideal_s": ideal, "ratio": wall / ideal if ideal else 0,
        "peak_in_flight": counters["peak_in_flight"], "by_path": counters["by_path"],
        "sandbox_cpu_s": counters.get("cpu_s", 0.0), "bot_cpu_s": cpu,
        "groups_ok": len(report.ok), "groups_failed": len(report.failed),
        "batch_reads_off": report.batch_reads_off,
    }


async def sync_mode(groups: int, latency: float, concurrency: int, batch: bool,
                    changes: int) -> dict:
    sandbox = await SandboxProcess.start(groups, latency, batch)
    with tempfile.TemporaryDirectory(prefix="csp-bench-sync-") as directory:
        runtime = bot_runtime(sandbox.url, Path(directory) / "cache.db", concurrency)
        await runtime.start(background=False)
        try:
            out = {"full": await one_sync(runtime, sandbox, latency, concurrency,
                                          runtime.syncer.sync_all)}
            if changes:
                changed = await sandbox.ask(f"change {changes}")
                incremental = getattr(runtime.syncer, "sync_changes", None)
                if incremental is not None:
                    out["incremental"] = await one_sync(runtime, sandbox, latency, concurrency,
                                                        incremental)
                    out["incremental"]["changed_groups"] = len(changed)
                    out["incremental"]["refreshed"] = await _refreshed(runtime, changed)
        finally:
            await runtime.stop()
            await sandbox.stop()
    return out


async def _refreshed(runtime, changed: list[str]) -> int:
    """How many of the groups changed upstream hold the new seat count in the cache."""
    report = runtime.syncer.last_report
    return len(set(changed) & set(report.ok)) if report is not None else 0


async def benchmark(args: argparse.Namespace) -> dict:
    logging.basicConfig(level=logging.WARNING)
    result = {"groups": args.groups, "subscriptions_per_group": SUBSCRIPTIONS_PER_GROUP,
              "latency_s": args.latency, "concurrency": args.concurrency}
    result["batch"] = await sync_mode(args.groups, args.latency, args.concurrency, True,
                                      args.changes)
    print_mode("batch reads", result["batch"])
    if not args.skip_naive:
        result["naive"] = await sync_mode(args.groups, args.latency, args.concurrency, False, 0)
        print_mode("one call per object", result["naive"])
    return result


def print_mode(name: str, out: dict) -> None:
    for kind, r in out.items():
        print(f"  {name:20} {kind:11} {r['wall_s']:7.1f} s, {r['calls']:6} calls, ideal "
              f"{r['ideal_s']:6.1f} s, ratio {r['ratio']:.2f}, peak in flight "
              f"{r['peak_in_flight']}, groups ok {r['groups_ok']} failed {r['groups_failed']}, "
              f"CPU: bot {r['bot_cpu_s']:.1f} s, sandbox {r['sandbox_cpu_s']:.1f} s",
              flush=True)
        top = sorted(r["by_path"].items(), key=lambda kv: -kv[1])[:8]
        print("      calls by path: " + ", ".join(f"{k or '/'} {v}" for k, v in top))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--groups", type=int, default=1000)
    parser.add_argument("--latency", type=float, default=0.02, help="seconds per call")
    parser.add_argument("--concurrency", type=int, default=8,
                        help="CSP_SYNC_CONCURRENCY (OVHcloud's client allows 8 calls in flight)")
    parser.add_argument("--changes", type=int, default=20, help="groups changed upstream "
                        "before the incremental sync")
    parser.add_argument("--skip-naive", action="store_true")
    parser.add_argument("--json", type=Path, help="also write the figures there (run_all)")
    parser.add_argument("--serve-sandbox", nargs=3, metavar=("GROUPS", "LATENCY", "MODE"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve_sandbox:
        groups, latency, mode = args.serve_sandbox
        asyncio.run(serve_sandbox(int(groups), float(latency), mode == "batch"))
        return 0
    result = asyncio.run(benchmark(args))
    if args.json:
        args.json.write_text(json.dumps(result))
    failed = sum(r["groups_failed"] for mode in ("batch", "naive") for r in
                 result.get(mode, {}).values())
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

"""Soak: two csp-bot replicas on one PostgreSQL, a mix of Slack flows for a bounded time.

What it starts, all on 127.0.0.1:
  * the Slack emulator (tests/slack_emulator.py), which both replicas call;
  * the CSP2 sandbox served over HTTP (bot/provider/sandbox_server.py, what `csp-bot sandbox`
    runs), so both replicas talk to one provider world with OVHcloud's client, and this script
    counts every write the sandbox received;
  * two `csp-bot serve` processes in HTTP mode on a fresh PostgreSQL database, with JSON logs.
Virtual users then send signed Slack requests to either replica in turn (as a proxy would):
slash commands, typeahead, and on a subscription of their own a seat increase, confirmed, then
the decrease back, confirmed and approved by an admin — waiting for each to be done
(bench/soak_users.py).

At the end it lets the queue drain, stops the replicas with SIGTERM, and reports: Slack
requests handled (per replica), confirmed requests and the provider writes per confirmed request
(must be exactly 1), ack latency (p50, p99, max), each replica's RSS growth, and the errors
(non-200 answers, error replies, requests that did not end done, ERROR log lines).

    .venv/bin/python bench/soak.py [--seconds 60] [--users 4] [--database-url URL] [--json]

The database URL names a server where the script may create (and drops afterwards) a database;
default TEST_DATABASE_URL or postgresql+asyncpg://postgres@127.0.0.1:5432/test.
Exit status 1 when any write was doubled or lost, or anything failed.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import math
import os
import signal
import socket
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from bench.soak_users import ADA, APPROVALS, SIGNING_SECRET, Tally, User, timed_driver  # noqa: E402

BOT_TOKEN = "xoxb-0000-0000-soaktoken"
OVH_KEYS = {"OVH_APPLICATION_KEY": "soak-ak", "OVH_APPLICATION_SECRET": "soak-as-secret",
            "OVH_CONSUMER_KEY": "soak-ck-consumer"}
#: How long a replica may take to start (imports, migrations) before the soak gives up.
READY_SECONDS = 60.0
#: How often the replicas' memory is sampled.
RSS_EVERY = 30.0


def default_admin_url() -> str:
    return os.environ.get("TEST_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)]


# --- what is measured -------------------------------------------------------------------------


@dataclass
class Report:
    seconds: float
    users: int
    slack_requests: int
    slack_by_kind: dict[str, int]
    slack_by_replica: dict[str, int]
    confirmed: int
    approved: int
    done: int
    provider_writes: int
    writes_per_confirmed: float
    duplicated_or_lost: list[str]
    ack_p50_ms: float
    ack_p99_ms: float
    ack_max_ms: float
    ack_p99_ms_by_kind: dict[str, float]
    load_average: tuple[float, float, float]
    worker_share: dict[str, int]
    rss_start_mb: dict[str, float]
    rss_end_mb: dict[str, float]
    rss_every_30s_mb: dict[str, list[float]]
    exit_codes: dict[str, int | None]
    errors: list[str]

    @property
    def ok(self) -> bool:
        return self.writes_per_confirmed == 1.0 and not self.errors and not self.duplicated_or_lost

    def text(self) -> str:
        growth = {
            name: f"{self.rss_start_mb[name]:.1f} → {self.rss_end_mb[name]:.1f} MB "
            f"({self.rss_end_mb[name] - self.rss_start_mb[name]:+.1f})"
            for name in self.rss_start_mb
        }
        lines = [
            f"soak: {self.seconds:.0f} s, {self.users} users, 2 replicas on PostgreSQL",
            f"Slack requests handled: {self.slack_requests} "
            f"({', '.join(f'{k} {v}' for k, v in sorted(self.slack_by_kind.items()))})",
            f"  by replica: {self.slack_by_replica}",
            f"confirmed requests: {self.confirmed} ({self.approved} approved first), "
            f"done: {self.done}",
            f"provider writes: {self.provider_writes}, per confirmed request: "
            f"{self.writes_per_confirmed:.3f}",
            f"  workers that sent them: {self.worker_share}",
            f"ack latency: p50 {self.ack_p50_ms:.1f} ms, p99 {self.ack_p99_ms:.1f} ms, "
            f"max {self.ack_max_ms:.1f} ms; p99 by kind: "
            f"{', '.join(f'{k} {v:.0f} ms' for k, v in sorted(self.ack_p99_ms_by_kind.items()))}",
            f"load average at the end (1, 5, 15 min): {self.load_average}",
            f"RSS: {growth}",
            f"  every {RSS_EVERY:.0f} s: {self.rss_every_30s_mb}",
            f"exit codes: {self.exit_codes}",
            f"errors: {len(self.errors)}",
            *(f"  {e}" for e in self.errors[:20]),
            *(f"  doubled or lost: {d}" for d in self.duplicated_or_lost[:20]),
        ]
        return "\n".join(lines)


# --- the replicas -----------------------------------------------------------------------------


class Replica:
    """One `csp-bot serve` process; its stderr (JSON lines) goes to a file."""

    def __init__(self, name: str, env: dict[str, str], log_dir: Path) -> None:
        self.name = name
        self.port = free_port()
        self.env = {**env, "PORT": str(self.port)}
        self.log_path = log_dir / f"{name}.log"
        self.process: asyncio.subprocess.Process | None = None
        self.url = f"http://127.0.0.1:{self.port}"
        self._log = open(self.log_path, "wb")  # closed by stop()

    async def start(self) -> None:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.app.cli", "serve", cwd=ROOT, env=self.env,
            stdout=asyncio.subprocess.DEVNULL, stderr=self._log,
        )

    async def ready(self, http) -> None:
        deadline = time.monotonic() + READY_SECONDS
        while time.monotonic() < deadline:
            if self.process.returncode is not None:
                raise RuntimeError(f"{self.name} exited: {self.log_path.read_text()[-2000:]}")
            try:
                async with http.get(self.url + "/readyz") as r:
                    if r.status == 200:
                        return
            except Exception:
                pass
            await asyncio.sleep(0.1)
        raise RuntimeError(f"{self.name} did not become ready: {self.log_path}")

    def rss_mb(self) -> float:
        """Resident memory of the process, from /proc (Linux)."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    async def stop(self) -> int | None:
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), 60)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
        self._log.close()
        return self.process.returncode

    def error_lines(self) -> list[str]:
        found = []
        for line in self.log_path.read_text(errors="replace").splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                found.append(f"{self.name}: not a JSON log line: {line[:200]}")
                continue
            if record.get("level") in ("ERROR", "CRITICAL"):
                found.append(f"{self.name}: {record.get('message', '')[:200]}")
        return found


# --- the run ----------------------------------------------------------------------------------


async def soak(seconds: float, users: int, admin_url: str) -> Report:
    import aiohttp
    import asyncpg
    from sqlalchemy.engine import make_url

    from bot.provider.sandbox import SandboxProvider
    from bot.provider.sandbox_data import (
        BELLAVISTA_PREMIUM,
        CONTOSO_PREMIUM,
        NORDWIND,
        NORDWIND_BASIC,
        NORDWIND_E3,
        NORDWIND_EXCHANGE,
        PADARIA,
        PADARIA_BASIC,
    )
    from bot.provider.sandbox_server import create_sandbox_app, start_sandbox_server
    from store.db import Database
    from tests.slack_emulator import SlackEmulator

    contoso, bellavista = "csp2-cb2m8x.o365.ovh", "csp2-tb9d4v.o365.ovh"
    subscriptions = [(NORDWIND, NORDWIND_E3), (NORDWIND, NORDWIND_BASIC),
                     (PADARIA, PADARIA_BASIC), (NORDWIND, NORDWIND_EXCHANGE),
                     (contoso, CONTOSO_PREMIUM), (bellavista, BELLAVISTA_PREMIUM)]
    users = max(1, min(users, len(subscriptions)))

    url = make_url(admin_url)
    name = f"csp_soak_{uuid.uuid4().hex[:10]}"
    params = dict(host=url.host, port=url.port or 5432, user=url.username,
                  password=url.password, database=url.database)
    conn = await asyncpg.connect(**params)
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    database_url = url.set(database=name).render_as_string(hide_password=False)

    tally = Tally()
    sandbox = SandboxProvider(task_duration=timedelta(seconds=0.3))
    emulator = await SlackEmulator(bot_token=BOT_TOKEN).start()
    app = create_sandbox_app(sandbox, *OVH_KEYS.values())
    runner, sandbox_url = await start_sandbox_server(app, "127.0.0.1", 0)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "CSP_", "OVH_"))},
        "DATABASE_URL": database_url, "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET, "SLACK_API_URL": emulator.api_url,
        "HOST": "127.0.0.1", "LOG_FORMAT": "json", "LOG_LEVEL": "INFO",
        "CSP_PROVIDER": "ovh", "OVH_ENDPOINT": sandbox_url, **OVH_KEYS,
        "CSP_APPROVALS_CHANNEL": APPROVALS, "CSP_ADMINS": ADA,
        "CSP_SEAT_DECREASE_APPROVAL_SEATS": "0",  # every decrease waits for a decision
        "CSP_WORKER_INTERVAL": "0.5", "CSP_WORKER_POLL_SECONDS": "0.5",
        "CSP_SYNC_INTERVAL": "120", "CSP_WORKER_LEASE_SECONDS": "60",
    }
    logs = Path(tempfile.mkdtemp(prefix="csp-soak-"))
    replicas = [Replica(f"bot-{i}", env, logs) for i in (1, 2)]
    db = Database(database_url)
    exit_codes: dict[str, int | None] = {}
    rss_samples: dict[str, list[float]] = {r.name: [] for r in replicas}
    try:
        for replica in replicas:  # both start together: the migrations take turns
            await replica.start()
        async with aiohttp.ClientSession() as http:
            await asyncio.gather(*(r.ready(http) for r in replicas))
        await _warm_up(emulator, replicas, db, len({g for g, _ in subscriptions}))
        rss_start = {r.name: r.rss_mb() for r in replicas}
        quantities = {sub: (await sandbox.get_subscription(group, sub)).quantity
                      for group, sub in subscriptions}
        sandbox.clear_calls()
        drivers = [[timed_driver(emulator, r.url, r.name, tally) for r in replicas]
                   for _ in range(users)]
        people = [User(n, drivers[n], emulator, db, tally, group, sub, quantities[sub])
                  for n, (group, sub) in enumerate(subscriptions[:users])]
        started = time.monotonic()
        sampling = asyncio.create_task(_sample_rss(replicas, rss_samples))
        await asyncio.gather(*(u.run(started + seconds) for u in people))
        elapsed = time.monotonic() - started
        sampling.cancel()
        rss_end = {r.name: r.rss_mb() for r in replicas}
        for driver in itertools.chain.from_iterable(drivers):
            await driver.close()
    finally:
        for replica in replicas:
            if replica.process is not None:
                exit_codes[replica.name] = await replica.stop()
        await runner.cleanup()
        await emulator.stop()

    try:
        report = await _report(tally, sandbox, db, replicas, seconds=elapsed, users=users,
                               rss=(rss_start, rss_end, rss_samples), exit_codes=exit_codes)
    finally:
        await db.close()
        conn = await asyncpg.connect(**params)
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.close()
    return report


async def _sample_rss(replicas, samples: dict[str, list[float]]) -> None:
    """Each replica's RSS every RSS_EVERY seconds: growth that levels off is warming up,
    growth that does not is a leak."""
    while True:
        await asyncio.sleep(RSS_EVERY)
        for replica in replicas:
            samples[replica.name].append(round(replica.rss_mb(), 1))


async def _warm_up(emulator, replicas, db, groups: int) -> None:
    """Waits for the start-up sync (one replica runs it) and sends each replica a few
    requests, so that first-request costs stay out of the figures."""
    from sqlalchemy import func, select

    from store.models import TenantRow

    for _ in range(600):
        async with db.session() as session:
            if await session.scalar(select(func.count()).select_from(TenantRow)) >= groups:
                break
        await asyncio.sleep(0.1)
    scratch = Tally()
    for replica in replicas:
        driver = timed_driver(emulator, replica.url, replica.name, scratch)
        for _ in range(5):
            await driver.command("help")
        await driver.close()
    if scratch.errors:
        raise RuntimeError(f"warm-up failed: {scratch.errors}")


async def _report(tally: Tally, sandbox, db, replicas, *, seconds, users, rss, exit_codes):
    from sqlalchemy import select

    from store.models import AuditEventRow, RequestRow

    async with db.session() as session:
        states = dict((await session.execute(
            select(RequestRow.id, RequestRow.state))).all())
        senders = Counter(
            (data or {}).get("worker", "?").split(":")[1]  # host:pid:tail → the pid
            for (data,) in (await session.execute(
                select(AuditEventRow.data).where(AuditEventRow.action == "provider_call"))).all()
        )
    pids = {str(r.process.pid): r.name for r in replicas}
    writes = [c for c in sandbox.call_log if c.op == "changeQuantity"]
    sent = Counter((c.target, c.payload["quantity"]) for c in writes)
    confirmed = tally.confirmed
    asked = Counter((sub, total) for _, sub, total in confirmed)
    problems = [f"subscription {sub} → {total} seats: asked {asked[sub, total]}, "
                f"sent {sent[sub, total]}" for sub, total in sorted(set(asked) | set(sent))
                if asked[sub, total] != sent[sub, total]]
    errors = list(tally.errors)
    for replica in replicas:
        errors += replica.error_lines()
    errors += [f"{name} exited {code}" for name, code in exit_codes.items() if code != 0]
    done = sum(1 for rid, _, _ in confirmed if states.get(rid) == "done")
    every = [x for values in tally.latencies.values() for x in values]
    return Report(
        seconds=seconds, users=users, slack_requests=sum(tally.statuses.values()),
        slack_by_kind={k: len(v) for k, v in tally.latencies.items()},
        slack_by_replica=dict(tally.per_replica),
        confirmed=len(confirmed), approved=tally.approvals, done=done,
        provider_writes=len(writes),
        writes_per_confirmed=len(writes) / len(confirmed) if confirmed else 0.0,
        duplicated_or_lost=problems,
        ack_p50_ms=percentile(every, 0.50) * 1000,
        ack_p99_ms=percentile(every, 0.99) * 1000,
        ack_max_ms=max(every, default=0.0) * 1000,
        ack_p99_ms_by_kind={k: percentile(v, 0.99) * 1000 for k, v in tally.latencies.items()},
        load_average=tuple(round(x, 2) for x in os.getloadavg()),
        worker_share={pids.get(pid, pid): n for pid, n in senders.items()},
        rss_start_mb=rss[0], rss_end_mb=rss[1], rss_every_30s_mb=rss[2],
        exit_codes=exit_codes, errors=errors,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="how long users keep going")
    parser.add_argument("--users", type=int, default=4, help="virtual users (1-6)")
    parser.add_argument("--database-url", default=default_admin_url(),
                        help="a PostgreSQL server where a scratch database may be created")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    report = asyncio.run(soak(args.seconds, args.users, args.database_url))
    if args.json:
        print(json.dumps({**vars(report), "ok": report.ok}, indent=2, default=str))
    else:
        print(report.text())
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())

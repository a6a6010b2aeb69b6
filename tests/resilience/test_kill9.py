"""kill -9 of the bot at each step of the pipeline, on the real process (`csp-bot serve`).

Each run drafts and confirms one request through Slack (a seat change, an order, a
cancellation approved by a support agent, a license group edit), SIGKILLs the bot at a step
drawn at random — just confirmed, its provider call on the way in, applied but unanswered, its
task running, or any moment — and checks that the request still ends in a terminal state that
its card shows, with its provider write applied exactly once (a create whose call was in flight
goes to "needs attention" instead, and is never sent twice).

- SQLite: one bot, restarted at once on the same database: it proves its predecessor is gone
  and resumes without waiting for the lease.
- PostgreSQL: two replicas; the one holding the request is killed and not restarted (until the
  run is over): the survivor resumes it when the lease runs out.

`make test` runs CSP_KILL_RUNS (default 3) kills per backend with a short lease
(CSP_KILL_LEASE, default 3 s; heartbeat a third of it); CSP_KILL_SEED replays a run;
CSP_KILL_REPORT=file appends one JSON line per kill (docs/reliability.md has the figures);
CSP_KILL_LOGS=dir keeps the bots' logs there.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import statistics
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.app.config import Settings
from bot.core.domain import RequestState, StepState
from bot.pipeline.cards import state_words
from bot.pipeline.leases import ProcessIdentity
from bot.pipeline.transitions import confirmed_request, load, load_steps
from bot.provider.sandbox import SandboxProvider
from bot.provider.sandbox_data import NORDWIND, NORDWIND_E3, OFFICE_E3, PADARIA
from store import cache
from store import requests as repo
from store.db import Database
from tests.conftest import ADA, SAM, postgres_database
from tests.provider.conftest import serving
from tests.resilience import traffic
from tests.resilience.kill_harness import BotProcess, Gate, bot_environment

S = RequestState
RUNS = int(os.environ.get("CSP_KILL_RUNS", "3"))
#: The replicas' lease (and a third of it, their heartbeat). A restarted bot waits for none:
#: on SQLite the bots keep the default lease, to show it.
LEASE = float(os.environ.get("CSP_KILL_LEASE", "3"))
DEFAULT_LEASE = Settings.model_fields["csp_worker_lease_seconds"].default
SEED = int(os.environ.get("CSP_KILL_SEED", str(random.SystemRandom().randrange(10**6))))
REPORT = os.environ.get("CSP_KILL_REPORT")
TASK_SECONDS = 2.0
POINTS = ("queued", "sending", "applied", "running", "any")
KINDS = ("seats", "order", "cancel", "tenant")
METHOD = {"seats": "change_quantity", "order": "add_subscription",
          "cancel": "delete_subscription", "tenant": "update_tenant"}  # fmt: skip
SETTLED = {S.DONE, S.FAILED, S.NEEDS_ATTENTION}

pytestmark = pytest.mark.skipif(os.name != "posix", reason="needs SIGKILL")


@dataclass
class KillRun:
    backend: str
    kind: str
    point: str
    state: str = ""
    applied: int = 0
    victim_held_it: bool = False
    resumed_s: float | None = None  # kill → the first worker step on the request afterwards
    settled_s: float | None = None  # kill → its terminal state
    restart_s: float | None = None  # how long the restarted bot took to be ready


@dataclass
class Cluster:
    backend: str
    lease: float
    bots: list[BotProcess]
    db: Database
    sandbox: SandboxProvider
    gate: Gate
    rng: random.Random
    runs: list[KillRun]
    cities: int = 0

    @property
    def alive(self) -> list[BotProcess]:
        return [b for b in self.bots if b.pid is not None]


@asynccontextmanager
async def cluster(backend: str, database_url: str, emulator, tmp_path, replicas: int,
                  lease: float) -> AsyncIterator[Cluster]:  # fmt: skip
    sandbox = SandboxProvider(task_duration=timedelta(seconds=TASK_SECONDS))
    gate = Gate(sandbox)
    async with AsyncExitStack() as stack:
        server = await stack.enter_async_context(serving(sandbox))
        env = bot_environment(database_url, server.url, emulator, lease=lease, beat=lease / 3)
        logs = Path(os.environ.get("CSP_KILL_LOGS") or tmp_path)
        await asyncio.to_thread(logs.mkdir, parents=True, exist_ok=True)
        bots = [BotProcess(f"{backend}-{n}", env, emulator, logs) for n in range(replicas)]
        for bot in bots:
            stack.push_async_callback(bot.stop)
            await bot.start()
        db = Database(database_url)
        stack.push_async_callback(db.close)

        async def synced():
            async with db.session() as session:
                return await cache.get_subscription(session, NORDWIND_E3)

        await wait_for(synced, "the start-up sync")
        reply = await bots[0].driver.command(f"roles grant <@{SAM}> support", user=ADA)
        assert "now has the support agent role" in reply.text, reply.text
        runs: list[KillRun] = []
        try:
            yield Cluster(backend, lease, bots, db, sandbox, gate, random.Random(SEED), runs)
        finally:
            report(backend, lease, runs)


def report(backend: str, lease: float, runs: list[KillRun]) -> None:
    if REPORT:
        with open(REPORT, "a", encoding="utf-8") as out:
            for run in runs:
                out.write(json.dumps({"seed": SEED, "lease": lease, **asdict(run)}) + "\n")
    print(f"\n{backend} (seed {SEED}, lease {lease:g}s): {summary([asdict(r) for r in runs])}")


def summary(runs: list[dict]) -> str:
    """Kills, outcomes, writes applied twice, and the recovery times (p50 / max)."""

    def spread(key: str) -> str:
        values = sorted(r[key] for r in runs if r[key] is not None)
        if not values:
            return "—"
        return f"p50 {statistics.median(values):.2f}s, max {values[-1]:.2f}s (n={len(values)})"

    outcomes = Counter(str(r["state"]) for r in runs)
    twice = sum(1 for r in runs if r["applied"] > 1)
    return (f"{len(runs)} kills, {dict(outcomes)}, {twice} writes applied twice; "
            f"resumed after {spread('resumed_s')}; settled after {spread('settled_s')}")


def plan(rng: random.Random, runs: int) -> list[tuple[str, str]]:
    """Every kind at every point it has, shuffled, as many as asked (cycling)."""
    combos = [(k, p) for k in KINDS for p in POINTS if not (k == "tenant" and p == "running")]
    rng.shuffle(combos)
    return [combos[i % len(combos)] for i in range(runs)]


async def cancellable(cluster: Cluster) -> int | None:
    """A subscription an earlier run ordered, live at OVHcloud and known to the cache."""
    subs = cluster.sandbox.world.tenants[NORDWIND].subscriptions
    async with cluster.db.session() as session:
        cached = {s.id for s in await cache.subscriptions_of(session, NORDWIND)}
    ours = [i for i, r in subs.items() if i > 480_200 and r.live and i in cached
            and r.subscription.license_id == OFFICE_E3]
    return max(ours) if ours else None


async def make(cluster: Cluster, kind: str, front: BotProcess) -> traffic.Made:
    """Drafts and confirms one request of `kind` (a cancellation is approved too)."""
    slack = front.driver

    async def number(draft_id: int) -> int:
        return (await confirmed_request(cluster.db, draft_id)).id

    match kind:
        case "seats":
            now = cluster.sandbox.world.tenants[NORDWIND].subscriptions[NORDWIND_E3]
            total = now.subscription.quantity + 1
            return await traffic.seat_change(slack, NORDWIND, NORDWIND_E3, total, number)
        case "order":
            return await traffic.order(slack, NORDWIND, OFFICE_E3, 2, number)
        case "cancel":
            subscription = await cancellable(cluster)
            return await traffic.cancellation(slack, NORDWIND, subscription, SAM, number)
    cluster.cities += 1
    return await traffic.tenant_edit(slack, PADARIA, f"Braga {cluster.cities}", number)


async def request_row(cluster: Cluster, request_id: int):
    async with cluster.db.session() as session:
        return await repo.get_request(session, request_id)


async def wait_for(condition, what: str, seconds: float = 30.0):
    for _ in range(int(seconds / 0.02)):
        found = await condition()
        if found:
            return found
        await asyncio.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


async def kill_moment(cluster: Cluster, point: str, request_id: int) -> None:
    if point in ("sending", "applied"):
        await asyncio.wait_for(cluster.gate.reached.wait(), 30)
    elif point == "running":

        async def task_running():
            row = await request_row(cluster, request_id)
            if row.state in SETTLED:
                return True  # too late: it finished first
            steps = await load_steps(cluster.db, request_id)
            return any(s.state is StepState.RUNNING and s.provider_task_id for s in steps)

        await wait_for(task_running, "a running task")
    elif point == "any":
        await asyncio.sleep(cluster.rng.uniform(0, TASK_SECONDS + 0.5))


def victim_of(cluster: Cluster, owner: str | None, front: BotProcess) -> tuple[BotProcess, bool]:
    """The bot that holds the request (from its lease), else the one people talk to."""
    identity = ProcessIdentity.parse(owner) if owner else None
    for bot in cluster.alive:
        if identity is not None and bot.pid == identity.pid:
            return bot, True
    return (front if front.pid else cluster.alive[0]), False


async def one_kill(cluster: Cluster, kind: str, point: str) -> KillRun:
    if kind == "cancel" and await cancellable(cluster) is None:
        kind = "seats"  # nothing ordered yet to cancel
    run = KillRun(cluster.backend, kind, point)
    front = cluster.alive[0]
    applied_before = len(cluster.gate.applied)
    if point in ("sending", "applied"):
        cluster.gate.arm(METHOD[kind], "before" if point == "sending" else "after")
    made = await make(cluster, kind, front)
    await kill_moment(cluster, point, made.request_id)

    row = await request_row(cluster, made.request_id)
    victim, run.victim_held_it = victim_of(cluster, row.lease_owner, front)
    was_settled = row.state in SETTLED
    killed_at = await victim.kill()
    cluster.gate.release()
    if cluster.backend == "sqlite":
        run.restart_s = await victim.start()

    async def settled():
        found = await request_row(cluster, made.request_id)
        return found if found.state in SETTLED else None

    final = await wait_for(settled, f"R{made.request_id} to settle", cluster.lease * 4 + 60)
    if victim.pid is None:
        await victim.start()  # back for the next run (not counted)
    run.state = final.state
    await timings(cluster, run, made.request_id, killed_at, was_settled)
    mine = cluster.gate.applied[applied_before:]
    run.applied = len(mine)
    assert {a.op for a in mine} <= {made.op}, f"writes of another kind: {mine}"

    request = await load(cluster.db, made.request_id)

    async def card_shows():
        if request.card_ts is None:
            return None
        latest = await load(cluster.db, made.request_id)
        if not latest.card_ts or latest.card_ts.startswith("posting:"):
            return None
        card = front.emulator.message(latest.card_channel, latest.card_ts)
        return state_words(latest.state) in card.all_text

    await wait_for(card_shows, f"the card of R{made.request_id} to show {final.state}", 15)
    return run


async def timings(cluster: Cluster, run: KillRun, request_id: int, killed_at: float,
                  was_settled: bool) -> None:  # fmt: skip
    async with cluster.db.session() as session:
        events = await repo.audit_events(session, request_id=request_id, limit=None)
    kill = datetime.fromtimestamp(killed_at, UTC)
    later = [e for e in events if e.actor == "worker" and e.created_at > kill]
    if later and not was_settled:
        run.resumed_s = (later[0].created_at - kill).total_seconds()
    ended = [e for e in events if e.after_state in SETTLED]
    if ended and ended[-1].created_at > kill:
        run.settled_s = (ended[-1].created_at - kill).total_seconds()


def check(run: KillRun) -> list[str]:
    """What must hold for every kill; the answer lists what did not."""
    problems = []
    create = run.kind == "order"
    allowed = {S.DONE, S.NEEDS_ATTENTION} if create and run.point != "running" else {S.DONE}
    if run.state not in allowed:
        problems.append(f"ended {run.state}, not {sorted(allowed)}")
    if run.applied > 1:
        problems.append(f"its write was applied {run.applied} times")
    if run.state == S.DONE and run.applied != 1:
        problems.append(f"done, but its write was applied {run.applied} times")
    return problems


async def kill_runs(cluster: Cluster) -> None:
    failures = []
    for kind, point in plan(cluster.rng, RUNS):
        started = time.monotonic()
        try:
            run = await one_kill(cluster, kind, point)
        except Exception as exc:  # say which kill, then go on with every bot up again
            failures.append(f"{kind} killed at {point}: {exc!r}")
            cluster.gate.release()
            for bot in cluster.bots:
                if bot.pid is None:
                    await bot.start()
            continue
        cluster.runs.append(run)
        problems = check(run)
        print(f"{cluster.backend} {run.kind:7} killed at {run.point:8} → {run.state:16} "
              f"applied {run.applied}, resumed {run.resumed_s}, "
              f"run {time.monotonic() - started:.1f}s")  # fmt: skip
        if problems:
            failures.append(f"{run.kind} killed at {run.point}: {'; '.join(problems)}")
    assert not failures, f"seed {SEED} (CSP_KILL_SEED to replay): {failures}"


async def test_a_bot_killed_at_any_step_restarts_on_sqlite_and_finishes_exactly_once(
    emulator, tmp_path
):
    url = f"sqlite+aiosqlite:///{tmp_path}/kill.db"
    async with cluster("sqlite", url, emulator, tmp_path, replicas=1, lease=DEFAULT_LEASE) as c:
        await kill_runs(c)
    # resumed as the bot starts, well before the killed process's lease could run out
    slow = [r for r in c.runs if r.resumed_s is not None and r.resumed_s > r.restart_s + 5]
    assert not slow and DEFAULT_LEASE >= 30, slow


@pytest.mark.postgres
async def test_the_surviving_replica_finishes_what_a_killed_one_held_on_postgres(
    emulator, tmp_path
):
    async with postgres_database() as url, cluster("postgres", url, emulator, tmp_path,
                                                   replicas=2, lease=LEASE) as c:  # fmt: skip
        await kill_runs(c)
    held = [r for r in c.runs if r.victim_held_it and r.resumed_s is not None]
    assert all(r.resumed_s <= LEASE + 3 for r in held), c.runs  # within a lease, and a pass


if __name__ == "__main__":  # python -m tests.resilience.test_kill9 report.jsonl
    rows = [json.loads(line) for line in open(sys.argv[1], encoding="utf-8")]
    for key in sorted({(r["backend"], r["lease"]) for r in rows}):
        print(key[0], f"lease {key[1]:g}s:",
              summary([r for r in rows if (r["backend"], r["lease"]) == key]))

"""Leases: how a worker holds the requests it works on, and how the requests of a worker that
died are resumed within seconds rather than minutes (docs/pipeline.md, "Leases").

Three parts:
- a worker id names one process instance: its host and pid, plus a key of the kernel boot and
  pid namespace it runs in and its start time. Within one boot and one pid namespace, a pid
  and a start time never name two processes, so another process there can PROVE that the
  owner of a lease is gone;
- `LeaseKeeper`, the heartbeat: every `CSP_WORKER_HEARTBEAT_SECONDS` it renews, in one UPDATE,
  every lease the worker holds (also those claimed and waiting their turn, and while a provider
  call is under way), so a lease runs out only when its worker stopped renewing it;
- `provably_dead()`: a restarted bot takes over at once the leases of a predecessor that it can
  prove is gone (same boot and namespace, and no live process with that pid and start time);
  the notifier does the same with a dead process's claim to post a card (`is_gone`).
  Anything it cannot prove — another host, another container, a process it may not inspect —
  waits for the lease to run out: taking a live worker's request would let two workers send.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from store import leases as lease_sql
from store.db import Database

log = logging.getLogger(__name__)

#: `requests.lease_owner` holds at most this many characters.
OWNER_LIMIT = 64
HOST_LIMIT = 32
PROC = Path("/proc")


@dataclass(frozen=True)
class ProcessIdentity:
    """One process instance. `namespace` and `started` are None where /proc is not available
    (not Linux): such an owner is never declared dead, its leases just run out."""

    host: str
    pid: int
    namespace: str | None = None  # a hash of the boot id and the pid namespace
    started: int | None = None  # start time after boot, in clock ticks (/proc/<pid>/stat)

    @property
    def key(self) -> str | None:
        """`pid:namespace.started`: names the process on its machine (the boot id is in the
        namespace hash); None when it cannot be told."""
        if self.namespace is None or self.started is None:
            return None
        return f"{self.pid}:{self.namespace}.{self.started}"

    @property
    def worker_id(self) -> str:
        base, key = f"{self.host[:HOST_LIMIT]}:{self.pid}", self.key
        if key is None:
            return base
        full = f"{self.host[:HOST_LIMIT]}:{key}"
        return full if len(full) <= OWNER_LIMIT else base  # never cut a key short

    @classmethod
    def parse(cls, worker_id: str) -> ProcessIdentity | None:
        """The identity a worker id names, or None for ids of another shape (older versions,
        tests, operators' own)."""
        host, _colon, key = worker_id.partition(":")
        found = cls.parse_key(key)
        return None if found is None else cls(host, found.pid, found.namespace, found.started)

    @classmethod
    def parse_key(cls, key: str) -> ProcessIdentity | None:
        """The process a `key` names (its host unknown), or None."""
        pid, _colon, rest = key.partition(":")
        namespace, _dot, started = rest.partition(".")
        if not pid.isdigit() or not namespace or ":" in rest or not started.isdigit():
            return None
        return cls("", int(pid), namespace, int(started))


def _namespace_key() -> str | None:
    try:
        boot = (PROC / "sys/kernel/random/boot_id").read_text().strip()
        pid_namespace = os.readlink(PROC / "self/ns/pid")
    except OSError:
        return None
    return hashlib.sha256(f"{boot}/{pid_namespace}".encode()).hexdigest()[:10]


def _stat(pid: int) -> tuple[str, int] | None:
    """(state letter, start time) of a process from /proc/<pid>/stat; None when unreadable.
    The command name (field 2) may hold spaces and parentheses: fields are read after its
    last ')'; the state is field 3, the start time field 22 (proc(5))."""
    try:
        text = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    fields = text[text.rfind(")") + 2 :].split()
    try:
        return fields[0], int(fields[19])
    except (IndexError, ValueError):
        return None


def this_process() -> ProcessIdentity:
    pid = os.getpid()
    stat = _stat(pid)
    return ProcessIdentity(
        socket.gethostname(), pid, _namespace_key(), stat[1] if stat else None
    )


def provably_dead(owner: str, me: ProcessIdentity) -> bool:
    """True only when the worker id `owner` names a process of this host, boot and pid
    namespace that no longer runs (see `is_gone`)."""
    them = ProcessIdentity.parse(owner)
    if them is None or them.host[:HOST_LIMIT] != me.host[:HOST_LIMIT]:
        return False
    return is_gone(them, me)


def is_gone(them: ProcessIdentity, me: ProcessIdentity) -> bool:
    """True only when `them` is a process of this boot and pid namespace that no longer runs:
    no process has its pid, or the one that has it started at another time (the pid was
    reused), or it is a zombie (killed, not yet reaped)."""
    if me.namespace is None or them.namespace != me.namespace or them.key == me.key:
        return False
    try:
        os.kill(them.pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        pass  # another user's process with that pid: alive, and perhaps not ours to read
    stat = _stat(them.pid)
    if stat is None:
        return False  # cannot tell: wait for the lease
    state, started = stat
    return started != them.started or state in ("Z", "X")


async def dead_owners(db: Database, me: ProcessIdentity, now: datetime) -> set[str]:
    """Owners of unexpired leases that are provably gone: a restarted bot's predecessor."""
    async with db.session() as session:
        owners = await lease_sql.live_lease_owners(session, now)
    return {owner for owner in owners if provably_dead(owner, me)}


class LeaseKeeper:
    """The leases one worker holds, renewed together by a heartbeat task while it runs.

    `hold()` when a request is claimed, `release()` when the worker is done with it (settled,
    sent back to the queue, or let go until its next look). A renewal that finds a lease no
    longer ours marks the request lost: the worker's next write raises `LostLease` without
    touching the database.
    """

    def __init__(
        self,
        db: Database,
        owner: str,
        lease_end: Callable[[], datetime],
        interval: float,
    ) -> None:
        self.db, self.owner, self.lease_end, self.interval = db, owner, lease_end, interval
        self.held: set[int] = set()
        self.lost: set[int] = set()
        self.beats = 0  # renewals made, for tests and logs
        self._task: asyncio.Task[None] | None = None

    def hold(self, request_id: int) -> None:
        self.held.add(request_id)
        self.lost.discard(request_id)

    def release(self, request_id: int) -> None:
        self.held.discard(request_id)
        self.lost.discard(request_id)

    def is_lost(self, request_id: int) -> bool:
        return request_id in self.lost

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._beat(), name=f"heartbeat:{self.owner}")

    async def stop(self) -> None:
        """Ends the heartbeat and forgets every lease: a pass cut short leaves its unworked
        claims to run out, never to be renewed by a later pass."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self.held.clear()
        self.lost.clear()

    async def _beat(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.renew()
            except Exception:  # a database hiccup: the next beat tries again
                log.warning("worker %s could not renew its leases", self.owner, exc_info=True)

    async def renew(self) -> set[int]:
        """Renews every held lease now; returns the requests found lost."""
        ids = self.held - self.lost
        if not ids:
            return set()
        async with self.db.transaction() as session:
            kept = await lease_sql.renew_leases(session, ids, self.owner, self.lease_end())
        self.beats += 1
        # Released meanwhile (settled, deferred) is not lost: only what is still held.
        lost = (ids - kept) & self.held
        if lost:
            log.info("worker %s no longer holds %s", self.owner, sorted(lost))
            self.lost |= lost
        return lost

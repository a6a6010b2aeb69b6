"""What the kill -9 suite runs: real `csp-bot serve` processes in HTTP mode, on one database,
talking to the Slack emulator and to the CSP2 sandbox served over HTTP with OVHcloud's paths and
signatures (`CSP_PROVIDER=ovh`, `OVH_ENDPOINT` on loopback) — the sandbox lives in the test
process, so it outlives every kill and counts what was really applied.

`Gate` holds one provider write where the bot is to be killed: on its way in (`before`: not
applied) or on its way out (`after`: applied, the answer never reaches the bot).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from bot.app.server import EVENTS_PATH
from bot.provider.sandbox import SandboxProvider
from tests.conftest import ADA, APPROVALS_CHANNEL, BOT_TOKEN, SIGNING_SECRET
from tests.provider.conftest import APP_KEY, APP_SECRET, CONSUMER_KEY
from tests.slack_emulator import SlackDriver, SlackEmulator

#: The sandbox methods that write, by the operation name the sandbox records.
WRITES = {
    "change_quantity": "changeQuantity",
    "add_subscription": "addSubscription",
    "delete_subscription": "deleteSubscription",
    "update_tenant": "updateTenant",
}
READY_TIMEOUT = 60.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def csp_bot() -> list[str]:
    """The `csp-bot` console script of this environment (or the module, when not installed)."""
    script = Path(sys.executable).with_name("csp-bot")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from bot.app.cli import main; main()"]


@dataclass
class Applied:
    """One write the sandbox carried out."""

    op: str
    args: tuple


class Gate:
    """Counts every write the sandbox applies, and can hold one of them for a kill."""

    def __init__(self, sandbox: SandboxProvider) -> None:
        self.applied: list[Applied] = []
        self.reached = asyncio.Event()
        self._release = asyncio.Event()
        self._armed: tuple[str, str] | None = None
        for method, op in WRITES.items():
            setattr(sandbox, method, self._wrap(getattr(sandbox, method), method, op))

    def arm(self, method: str, when: str) -> None:
        """The next call of `method` stops `before` or `after` it is applied."""
        self._armed = (method, when)
        self.reached.clear()
        self._release.clear()

    def release(self) -> None:
        self._armed = None
        self._release.set()

    def _wrap(self, real, method: str, op: str):
        async def gated(*args, **kwargs):
            armed, when = self._armed or (None, None)
            if armed == method:
                self._armed = None
                if when == "before":
                    self.reached.set()
                    await self._release.wait()  # cancelled when the bot's connection drops
                    raise ConnectionResetError("the bot died before this call was processed")
            result = await real(*args, **kwargs)
            self.applied.append(Applied(op, args))
            if armed == method and when == "after":
                self.reached.set()
                await self._release.wait()
            return result

        return gated


@dataclass
class BotProcess:
    """One `csp-bot serve` on loopback. `start()` waits for /readyz; `kill()` is SIGKILL."""

    name: str
    env: dict[str, str]
    emulator: SlackEmulator
    log_dir: Path
    port: int = field(default_factory=free_port)
    proc: asyncio.subprocess.Process | None = None
    starts: int = 0
    driver: SlackDriver | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None and self.proc.returncode is None else None

    async def start(self) -> float:
        """Starts the process; returns how long it took to be ready."""
        self.starts += 1
        log = await asyncio.to_thread(open, self.log_dir / f"{self.name}-{self.starts}.log", "wb")
        started = time.monotonic()
        self.proc = await asyncio.create_subprocess_exec(
            *csp_bot(), "serve", env={**self.env, "PORT": str(self.port)},
            cwd=self.log_dir, stdout=log, stderr=log,
        )  # fmt: skip
        log.close()
        async with aiohttp.ClientSession() as http:
            for _ in range(int(READY_TIMEOUT / 0.05)):
                if self.proc.returncode is not None:
                    raise RuntimeError(f"{self.name} exited with {self.proc.returncode}: "
                                       f"see {self.log_dir}")  # fmt: skip
                with contextlib.suppress(aiohttp.ClientError):
                    async with http.get(self.url + "/readyz") as answer:
                        if answer.status == 200:
                            break
                await asyncio.sleep(0.05)
            else:
                raise RuntimeError(f"{self.name} not ready after {READY_TIMEOUT:.0f}s")
        if self.driver is None:
            self.driver = SlackDriver(self.emulator, self.url + EVENTS_PATH, SIGNING_SECRET)
        return time.monotonic() - started

    async def kill(self) -> float:
        """SIGKILL, reaped; returns the wall-clock time of the kill."""
        assert self.proc is not None and self.proc.returncode is None, f"{self.name} not running"
        killed_at = time.time()
        os.kill(self.proc.pid, signal.SIGKILL)
        await self.proc.wait()
        return killed_at

    async def stop(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.proc.wait(), 30)
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()
        if self.driver is not None:
            await self.driver.close()
            self.driver = None


def bot_environment(
    database_url: str, sandbox_url: str, emulator: SlackEmulator, *, lease: float, beat: float
) -> dict[str, str]:
    """The settings of every bot process of the suite: HTTP mode, the sandbox as OVHcloud."""
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR")}
    return {
        **keep,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": emulator.api_url,
        "HOST": "127.0.0.1",
        "DATABASE_URL": database_url,
        "CSP_PROVIDER": "ovh",
        "OVH_ENDPOINT": sandbox_url,
        "OVH_APPLICATION_KEY": APP_KEY,
        "OVH_APPLICATION_SECRET": APP_SECRET,
        "OVH_CONSUMER_KEY": CONSUMER_KEY,
        "CSP_APPROVALS_CHANNEL": APPROVALS_CHANNEL,
        "CSP_ADMINS": ADA,
        "CSP_SYNC_INTERVAL": "0",  # at start-up only; the worker refreshes after each request
        "CSP_WORKER_INTERVAL": "0.2",
        "CSP_WORKER_POLL_SECONDS": "0.3",
        "CSP_WORKER_BACKOFF_SECONDS": "0.5",
        "CSP_WORKER_LEASE_SECONDS": str(lease),
        "CSP_WORKER_HEARTBEAT_SECONDS": str(beat),
        "CSP_CARD_REPAIR_SECONDS": "1",
        "LOG_LEVEL": "INFO",
    }

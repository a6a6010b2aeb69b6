"""What tests and demos use to steer the sandbox: its clock, its faults, its call log.

Apart from `sandbox.py` so the simulation reads on its own. Nothing here knows the world's
rules; the sandbox consults `Faults` at the start of every operation and appends a
`SandboxCall` for every operation it receives.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.core.clock import FakeClock
from bot.provider.base import ProviderError, ServerError

# One test clock for the whole project: the app's `FakeClock` moves only when told to.
ManualClock = FakeClock


def now_function(clock: Any) -> Callable[[], datetime]:
    """Accept an object with `now()` (ManualClock, the app's clocks) or a plain callable."""
    if clock is None:
        return lambda: datetime.now(UTC)
    if hasattr(clock, "now") and not isinstance(clock, type):
        now: Callable[[], datetime] = clock.now
        return now
    if callable(clock):
        now = clock
        return now
    raise TypeError(f"not a clock: {clock!r}")


# --- observing and disturbing the sandbox ---------------------------------------------------


@dataclass(frozen=True)
class SandboxCall:
    op: str
    payload: dict[str, Any]
    service_name: str | None
    target: int | None
    at: datetime


@dataclass(frozen=True)
class InjectedFault:
    """One planned failure. With `applied=True` the write happens and THEN the error is raised:
    the provider did it but the caller cannot know (the "outcome unknown" case)."""

    op: str
    error: type[ProviderError] | ProviderError
    applied: bool = False

    def build(self) -> ProviderError:
        if isinstance(self.error, ProviderError):
            return self.error
        cls = self.error
        return cls(
            f"Injected fault on {self.op}", status=cls.http_status, error_class=cls.ovh_class
        )


@dataclass
class Faults:
    """Latency, random 5xx, planned failures and failing tasks, from a seeded RNG."""

    rng: random.Random
    latency: float = 0.0
    error_rate: float = 0.0
    #: How long the HTTP server holds a request that fails with an injected ProviderTimeout.
    hang_seconds: float = 1.0
    planned: deque[InjectedFault] = field(default_factory=deque)
    task_errors: int = 0

    def set(
        self,
        *,
        latency: float | timedelta | None = None,
        error_rate: float | None = None,
        fail_next: Iterable[tuple[Any, ...]] | None = None,
        task_error_next: bool | int | None = None,
        hang_seconds: float | None = None,
    ) -> None:
        """`fail_next` entries are `(op, ErrorType_or_instance[, applied])`; op "*" matches
        any operation. `task_error_next=True` (or a count) makes the next task(s) end in
        `error`."""
        if latency is not None:
            self.latency = latency.total_seconds() if isinstance(latency, timedelta) else latency
        if error_rate is not None:
            self.error_rate = error_rate
        if hang_seconds is not None:
            self.hang_seconds = hang_seconds
        for entry in fail_next or ():
            self.planned.append(InjectedFault(*entry))
        if task_error_next is not None:
            self.task_errors = int(task_error_next)

    def clear(self) -> None:
        self.latency = self.error_rate = 0.0
        self.planned.clear()
        self.task_errors = 0

    def take(self, op: str) -> InjectedFault | None:
        for fault in self.planned:
            if fault.op in (op, "*"):
                self.planned.remove(fault)
                return fault
        if self.error_rate and self.rng.random() < self.error_rate:
            return InjectedFault(op, ServerError)
        return None

    def take_task_error(self) -> bool:
        if self.task_errors > 0:
            self.task_errors -= 1
            return True
        return False

"""What a provider call did, for the metrics: its endpoint, its outcome and how long it took.

A provider gets an `observer` attribute (the runtime sets it; see `bot.app.metrics`); without one
nothing is measured. Endpoints are routes with the ids taken out
(`POST /saas/csp2/{serviceName}/subscription/{id}/changeQuantity`), so a metric has one series
per route and never one per license group or subscription. The in-process sandbox names its
operations after OVHcloud's (`changeQuantity`) and reports those.
"""

from __future__ import annotations

import functools
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar

from bot.provider.base import ProviderError

T = TypeVar("T")


class CallObserver(Protocol):
    def __call__(self, endpoint: str, outcome: str, seconds: float) -> None: ...


#: A path segment that is an id: numbers, or a batch of them (`/task/1,2,3`).
_NUMERIC = re.compile(r"^\d+(,\d+)*$")
#: A segment the code writes itself: a route word (`subscription`, `changeQuantity`).
_WORD = re.compile(r"^[A-Za-z][A-Za-z0-9]{0,40}$")
#: The segment after these two is a name the provider chose, never a route word.
_NAMED = {("saas", "csp2"): "{serviceName}", ("order", "cart"): "{cartId}"}


def route_of(method: str, path: str) -> str:
    """`METHOD /route/with/{placeholders}`: ids, names and query strings removed."""
    path = path.split("?", 1)[0]
    out: list[str] = []
    before = previous = ""
    for segment in path.strip("/").split("/"):
        if not segment:
            continue
        if (before, previous) in _NAMED:
            out.append(_NAMED[before, previous])
        elif previous == "item" and len(out) > 1 and out[-2] == "{cartId}":
            out.append("{itemId}")
        elif _NUMERIC.match(segment):
            out.append("{id}")
        elif _WORD.match(segment):
            out.append(segment)
        else:  # anything else came from data: never let it become a label value
            out.append("{value}")
        before, previous = previous, segment
    return f"{method.upper()} /" + "/".join(out)


def outcome_of(error: BaseException) -> str:
    """`ok` is for successes; a failure is named by its kind (`NotFound` → `not_found`)."""
    if isinstance(error, ProviderError):
        return re.sub(r"(?<!^)(?=[A-Z])", "_", type(error).__name__).lower()
    if isinstance(error, TimeoutError):
        return "timeout"
    return "cancelled" if type(error).__name__ == "CancelledError" else "error"


async def observe(provider: Any, endpoint: str, call: Awaitable[T]) -> T:
    """Awaits `call`, telling the provider's observer (if any) how it went."""
    observer: CallObserver | None = getattr(provider, "observer", None)
    if observer is None:
        return await call
    started = time.perf_counter()
    try:
        result = await call
    except BaseException as exc:
        observer(endpoint, outcome_of(exc), time.perf_counter() - started)
        raise
    observer(endpoint, "ok", time.perf_counter() - started)
    return result


def observed_call(
    call: Callable[..., Awaitable[T]],
) -> Callable[..., Awaitable[T]]:
    """Decorates a transport method `call(self, method, path, ...)` with `observe`."""

    @functools.wraps(call)
    async def wrapper(self: Any, method: str, path: str, *args: Any, **kwargs: Any) -> T:
        sent = call(self, method, path, *args, **kwargs)
        return await observe(self, route_of(method, path), sent)

    return wrapper

"""What a log line is about, carried by context variables: the Slack request it serves and the
request (R42) it concerns.

Why context variables: a Slack request is answered by one task, and asyncio copies the context
into every task that task creates, so the background work a listener starts (a refresh, a card
update) logs the same correlation id without anyone passing it along. The worker binds the
request's ref while it works on it, so every line it writes about a request names it.

`bot.app.logs` copies `fields()` onto every record when it is made; the formatters print them.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Concatenate, ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")

#: The Slack request being answered (set by the Slack endpoint and the Socket Mode dispatch).
correlation_id: ContextVar[str | None] = ContextVar("correlation_id", default=None)
#: The request (`R42`) the current work concerns.
request_ref: ContextVar[str | None] = ContextVar("request_ref", default=None)

#: Record attribute names; `extra={REQUEST_REF: ...}` sets one explicitly on a line.
CORRELATION_ID, REQUEST_REF = "correlation_id", "request_ref"
FIELDS = (CORRELATION_ID, REQUEST_REF)


def new_correlation_id() -> str:
    """Short enough to read out to an operator, random enough never to repeat in a log."""
    return uuid.uuid4().hex[:12]


def fields() -> dict[str, str]:
    """The context of the current line, without the fields that are not set."""
    values = {CORRELATION_ID: correlation_id.get(), REQUEST_REF: request_ref.get()}
    return {k: v for k, v in values.items() if v is not None}


@contextmanager
def bound(var: ContextVar[str | None], value: str | None) -> Iterator[None]:
    """Sets `var` for the duration of the block, then puts the previous value back."""
    token = var.set(value)
    try:
        yield
    finally:
        var.reset(token)


def about_request(
    method: Callable[Concatenate[Any, Any, P], Awaitable[T]],
) -> Callable[Concatenate[Any, Any, P], Awaitable[T]]:
    """Decorates an async method whose first argument is a request (anything with `.ref`):
    every line logged while it runs carries that ref."""

    @functools.wraps(method)
    async def wrapper(self: Any, request: Any, /, *args: P.args, **kwargs: P.kwargs) -> T:
        with bound(request_ref, getattr(request, "ref", None)):
            return await method(self, request, *args, **kwargs)

    return wrapper

"""Authorization for the one workspace the bot is installed in.

Bolt's built-in single-workspace authorization calls `auth.test` on the first request and
caches the answer only when it comes back, so a cold burst of requests makes one `auth.test`
each, and every one of them waits on Slack. Here `auth.test` runs once, before the first
request is served (`prime()` at start-up), behind a lock.

It also puts the bot's runtime in every context, where bolt hands it to each listener that
takes a `runtime` parameter: authorization runs once per request before any listener, so this
saves a global middleware on the ack path.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.authorization import AuthorizeResult
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient


class WorkspaceAuthorization:
    def __init__(self, client: AsyncWebClient, context: dict[str, Any] | None = None) -> None:
        self.client = client
        self.context_values = dict(context or {})
        self._result: AuthorizeResult | None = None
        self._lock = asyncio.Lock()

    async def prime(self) -> AuthorizeResult:
        if self._result is None:
            async with self._lock:
                if self._result is None:
                    answer = await self.client.auth_test()
                    self._result = AuthorizeResult.from_auth_test_response(
                        auth_test_response=answer, bot_token=self.client.token
                    )
        return self._result

    def hook(self) -> Callable[[AsyncBoltContext], Awaitable[AuthorizeResult]]:
        """Bolt's `authorize` function. A plain function, not a method: bolt passes arguments
        by the parameter names it finds, `self` included."""

        async def authorize(context: AsyncBoltContext) -> AuthorizeResult:
            context.update(self.context_values)
            return self._result or await self.prime()

        return authorize

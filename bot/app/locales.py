"""Each person's language and time zone: their own choice (`/csp language`, in the database),
else their Slack locale (`users.info`), else the workspace's `CSP_LANGUAGE`.

`users.info` is never awaited where Slack waits for an answer: `of()` answers from memory at
once and, when it knows nothing yet about the person (or what it knows is older than
`CSP_LOCALE_CACHE_SECONDS`), starts one background read; until it lands, the person is
spoken to in the workspace language. The database read of an own choice is local and cached.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.core.i18n import default_language, speak, supported, using
from store import people as repo

if TYPE_CHECKING:
    from bot.app.runtime import Runtime

log = logging.getLogger(__name__)

#: How long a `users.info` answer (locale, tz) is used before it is read again.
SLACK_CACHE_SECONDS = 24 * 3600.0
#: After a failed read, how long before trying again.
RETRY_SECONDS = 300.0
#: An own choice made on another replica shows here within this long.
CHOICE_CACHE_SECONDS = 60.0


@dataclass(frozen=True)
class PersonLocale:
    language: str
    time_zone: str | None = None

    def speak(self) -> str:
        """For the rest of this task (one Slack request): see `bot.core.i18n.speak`."""
        return speak(self.language, self.time_zone)

    @contextmanager
    def speaking(self) -> Iterator[str]:
        with using(self.language, self.time_zone) as language:
            yield language


@dataclass(frozen=True)
class _SlackLocale:
    read_at: float
    language: str | None
    time_zone: str | None


class Locales:
    def __init__(self, runtime: Runtime, *, ttl: float = SLACK_CACHE_SECONDS) -> None:
        self.runtime = runtime
        self.ttl = ttl
        self._slack: dict[str, _SlackLocale] = {}
        self._choices: dict[str, tuple[float, str | None]] = {}
        self._reading: dict[str, asyncio.Task[None]] = {}
        self._choosing: dict[str, asyncio.Task[str | None]] = {}

    async def of(self, user_id: str | None) -> PersonLocale:
        """What `user_id` reads in, now, without waiting on Slack."""
        if not user_id:
            return PersonLocale(default_language())
        chosen = await self.chosen(user_id)
        known = self._slack.get(user_id)
        if known is None or time.monotonic() - known.read_at > self.ttl:
            self._read_later(user_id)
        language = chosen or (known.language if known else None) or default_language()
        return PersonLocale(language, known.time_zone if known else None)

    async def chosen(self, user_id: str) -> str | None:
        """Their own choice, from memory when it is fresh; else one read of the database,
        which every request of theirs that arrives meanwhile waits for (a burst of one
        person's clicks, or 50 commands at once, makes one read, not 50)."""
        cached = self._choices.get(user_id)
        if cached is not None and time.monotonic() - cached[0] < CHOICE_CACHE_SECONDS:
            return cached[1]
        reading = self._choosing.get(user_id)
        if reading is None:
            reading = asyncio.get_running_loop().create_task(
                self._read_choice(user_id), name=f"language:{user_id}")
            self._choosing[user_id] = reading
            reading.add_done_callback(lambda _task: self._choosing.pop(user_id, None))
        # shielded: one waiter given up on (a request cancelled) does not cancel the others'
        return await asyncio.shield(reading)

    async def _read_choice(self, user_id: str) -> str | None:
        started = time.monotonic()
        async with self.runtime.db.session() as session:
            language = supported(await repo.chosen_language(session, user_id))
        newer = self._choices.get(user_id)
        if newer is not None and newer[0] >= started:  # `choose()` ran meanwhile: it wins
            return newer[1]
        self._choices[user_id] = (time.monotonic(), language)
        return language

    async def choose(self, user_id: str, language: str | None) -> None:
        """`language` for `user_id` from now on (None: back to their Slack language)."""
        async with self.runtime.db.transaction() as session:
            await repo.choose_language(session, user_id, language)
        self._choices[user_id] = (time.monotonic(), language)

    def slack_language(self, user_id: str) -> str | None:
        known = self._slack.get(user_id)
        return known.language if known else None

    def _read_later(self, user_id: str) -> None:
        if user_id in self._reading or getattr(self.runtime, "draining", False):
            return
        task = asyncio.get_running_loop().create_task(
            self._read(user_id), name=f"users.info:{user_id}")
        self._reading[user_id] = task
        task.add_done_callback(lambda _task: self._reading.pop(user_id, None))

    def learn(self, user: dict[str, Any]) -> None:
        """What a Slack user object says (a `user_change` event): their locale and zone from
        now on, without waiting for the cache to run out."""
        user_id = user.get("id")
        if isinstance(user_id, str) and user_id:
            self._slack[user_id] = _SlackLocale(
                time.monotonic(), supported(user.get("locale")), _zone_name(user.get("tz")))

    async def _read(self, user_id: str) -> None:
        try:
            answer = await self.runtime.slack.users_info(user=user_id, include_locale=True)
            user = answer.get("user") or {}
            self._slack[user_id] = _SlackLocale(
                time.monotonic(), supported(user.get("locale")), _zone_name(user.get("tz")))
        except Exception as exc:
            log.info("users.info for a person failed (%s); their language is the default",
                     type(exc).__name__)
            # try again after a while, not on every request
            self._slack[user_id] = _SlackLocale(
                time.monotonic() - self.ttl + RETRY_SECONDS, None, None)

    async def settle(self) -> None:
        """Wait for the reads under way (tests, shutdown)."""
        while self._reading:
            await asyncio.gather(*list(self._reading.values()), return_exceptions=True)


def _zone_name(value: object) -> str | None:
    return value[:64] if isinstance(value, str) and value else None

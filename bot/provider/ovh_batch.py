"""Batch reads (`X-Ovh-Batch: ,`), and reading one by one when OVHcloud will not batch.

OVHcloud's control panel reads lists 50 ids a call this way, but the feature is undocumented and
an OVHcloud maintainer wrote (ovh/python-ovh, 2023) that it is not guaranteed to keep working.
So a refused batch (a 4xx that is neither an authentication failure, a 404, a 429 nor an
expired service) turns batching off for this client: the ids are read one GET each (the
client's semaphore bounds how many are in flight), and batching is tried again after
`retry_seconds` or when `retry()` is called (every full sync does). A batch entry that failed
for another reason than "does not exist" is read again on its own.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from bot.provider.base import (
    AuthenticationError,
    ExpiredResource,
    NotFound,
    ProviderError,
    RateLimited,
)

log = logging.getLogger(__name__)
T = TypeVar("T")

BATCH_SIZE = 50
#: How long batching stays off once OVHcloud refused a batch.
RETRY_SECONDS = 3600.0

Call = Callable[..., Awaitable[Any]]


def entry_missing(error: object) -> bool:
    """Whether a batch entry's error says the object no longer exists (inferred wording)."""
    text = str(error).lower()
    return "does not exist" in text or "not found" in text or "notfound" in text


def refuses_batching(err: ProviderError) -> bool:
    """Whether an error answering a batch read says "no batch here" rather than "no such
    thing" or "not you": any other 4xx."""
    if isinstance(err, AuthenticationError | NotFound | RateLimited | ExpiredResource):
        return False
    return err.status is not None and 400 <= err.status < 500


class BatchReads:
    """The batch reads of one client, and whether OVHcloud takes them right now."""

    def __init__(
        self,
        call: Call,
        clock: Callable[[], float],
        *,
        size: int = BATCH_SIZE,
        retry_seconds: float = RETRY_SECONDS,
    ) -> None:
        self._call = call
        self._clock = clock
        self.size = size
        self.retry_seconds = retry_seconds
        self._off_since: float | None = None
        self._off_reason: str | None = None

    def off(self) -> str | None:
        """OVHcloud's reason for refusing batch reads, while they are off; None when on."""
        if self._off_since is not None and self._clock() - self._off_since >= self.retry_seconds:
            self.retry()
        return self._off_reason

    def retry(self) -> None:
        """Try batching again at the next read."""
        self._off_since = self._off_reason = None

    def _turn_off(self, err: ProviderError) -> None:
        if self._off_reason is None:
            log.warning("OVHcloud refused a batch read (%s): reading one by one for now", err)
        self._off_since, self._off_reason = self._clock(), str(err)

    async def read(self, prefix: str, ids: Sequence[int], parse: Callable[[Any], T]) -> list[T]:
        """The objects at `prefix/{id}`, in the order asked; ids that no longer exist are
        left out."""
        ids = list(dict.fromkeys(int(i) for i in ids))
        if not ids:
            return []
        if self.off() is not None:
            found = await self._one_by_one(prefix, ids, parse)
        else:
            chunks = [ids[i : i + self.size] for i in range(0, len(ids), self.size)]
            found = {}
            for part in await asyncio.gather(*(self._chunk(prefix, c, parse) for c in chunks)):
                found.update(part)
        return [found[i] for i in ids if i in found]

    async def _chunk(
        self, prefix: str, chunk: list[int], parse: Callable[[Any], T]
    ) -> dict[int, T]:
        try:
            answer = await self._call("GET", f"{prefix}/{','.join(map(str, chunk))}", batch=True)
        except ProviderError as err:
            if not refuses_batching(err):
                raise
            self._turn_off(err)
            return await self._one_by_one(prefix, chunk, parse)
        if isinstance(answer, dict):  # a server that ignored the batch header for one id
            answer = [{"key": str(chunk[0]), "value": answer, "error": None}]
        found: dict[int, T] = {}
        again: list[int] = []
        for position, entry in enumerate(answer if isinstance(answer, list) else []):
            if not isinstance(entry, dict):
                continue
            key = _key(entry.get("key"), chunk, position)
            if key is None:
                continue
            error = entry.get("error")
            if error:
                if not entry_missing(error):
                    log.info("batch entry %s/%s failed (%s): reading it alone", prefix, key, error)
                    again.append(key)
            elif entry.get("value") is not None:
                found[key] = parse(entry["value"])
        if again:
            found.update(await self._one_by_one(prefix, again, parse))
        return found

    async def _one_by_one(
        self, prefix: str, ids: list[int], parse: Callable[[Any], T]
    ) -> dict[int, T]:
        async def one(object_id: int) -> tuple[int, T | None]:
            try:
                return object_id, parse(await self._call("GET", f"{prefix}/{object_id}"))
            except NotFound:
                return object_id, None

        pairs = await asyncio.gather(*(one(i) for i in ids))
        return {i: item for i, item in pairs if item is not None}


def _key(raw: object, chunk: list[int], position: int) -> int | None:
    """The id a batch entry answers: its `key`, else its position in the request."""
    try:
        return int(str(raw))
    except ValueError:
        return chunk[position] if position < len(chunk) else None

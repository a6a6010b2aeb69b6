"""Partner Center over HTTP: headers, retries, paging, bounds. The client's operations sit on it.

- Headers [D headers; SDK Network/PartnerServiceHttpMessageHandler.cs]: `Authorization`,
  `Accept: application/json`, `MS-RequestId` (the idempotency key: one per call, the SAME one
  on every retry of it, or the caller's own), `MS-CorrelationId` (new for every call),
  `X-Locale`, `MS-PartnerCenter-Application`. `MS-Contract-Version: v1` is sent too: the doc
  calls it required, the SDK never sends it, and sending it is harmless either way.
- Retries: never 400/401/403/404/409/417 [SDK RetryableHttpCall.cs]; 5xx, timeouts and broken
  connections up to `retries` times — a POST/PATCH too, since it goes again with the same
  MS-RequestId, which Partner Center answers with the first result; a 429 waits `Retry-After`
  and then backs off exponentially [D api-throttling-guidance] (the SDK leaves 429 to the
  caller; the throttling guide asks for exactly this).
- Paging: `links.next.uri` (relative, usually without `/v1`; with it, or absolute on the same
  origin, also accepted) with the headers of `links.next.headers` (`MS-ContinuationToken`)
  [SDK CustomerCollectionOperations.cs]; bounded in pages, and a link elsewhere is refused (it
  would carry the token off).
- Bounds: a semaphore on concurrent requests, a timeout per attempt, answers of at most
  `max_body` bytes, large ones parsed off the event loop. Nothing secret is logged.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar
from urllib.parse import urlencode, urlsplit

import aiohttp
from pydantic import BaseModel, ValidationError

from bot.core.formats import seconds
from bot.core.i18n import _, ngettext
from bot.partner_center import errors, tls
from bot.partner_center.auth import PartnerCenterAuth, TokenKind
from bot.partner_center.errors import H_CORRELATION_ID, H_REQUEST_ID
from bot.partner_center.wire import Collection, Link

log = logging.getLogger(__name__)
M = TypeVar("M", bound=BaseModel)

#: Statuses the SDK never retries [SDK RetryableHttpCall.cs] (429 is handled apart).
NEVER_RETRIED = frozenset({400, 401, 403, 404, 409, 417})
_PARSE_OFF_LOOP = 256 * 1024


@dataclass(frozen=True)
class Answer:
    status: int
    headers: Mapping[str, str]
    data: Any


class Transport:
    """One aiohttp session per instance, created on first use and closed by `close()`."""

    def __init__(
        self,
        base_url: str,
        auth: PartnerCenterAuth,
        *,
        timeout: float = 30.0,
        max_concurrency: int = 8,
        retries: int = 3,
        backoff_base: float = 1.0,
        backoff_max: float = 60.0,
        retry_after_max: float = 120.0,
        max_body: int = 8 * 1024 * 1024,
        max_pages: int = 500,
        locale: str = "en-US",
        application: str = "csp-bot",
        rng: random.Random | None = None,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.auth = auth
        self.timeout = timeout
        self.retries = retries
        self.max_body = max_body
        self.max_pages = max_pages
        self.locale = locale
        self.application = application
        self._backoff = (backoff_base, backoff_max, retry_after_max)
        self._rng = rng or random.Random()
        self._sleep = sleep
        self._semaphore = asyncio.Semaphore(max_concurrency)
        self._session: aiohttp.ClientSession | None = None

    # -- calls -------------------------------------------------------------------------------

    async def call(
        self,
        method: str,
        path: str,
        *,
        kind: TokenKind,
        body: Any = None,
        query: Mapping[str, Any] | None = None,
        request_id: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Answer:
        """One Partner Center call (`path` after `/v1`, or a URL from a link), retried as the
        module says, always with the same MS-RequestId."""
        method = method.upper()
        url = self.url(path) + ("?" + urlencode(query) if query else "")
        request_id = request_id or str(uuid.uuid4())
        correlation_id = str(uuid.uuid4())
        attempt = 0
        while True:
            try:
                return await self._send(
                    method, url, kind, body, request_id, correlation_id, headers
                )
            except errors.PartnerCenterError as err:
                attempt += 1
                if attempt > self.retries or not self._retryable(err):
                    raise
                delay = self._delay(attempt, err)
                log.info(
                    "Partner Center %s %s failed (HTTP %s, code %s); retry %d/%d in %.2fs",
                    method, urlsplit(url).path, err.status, err.code, attempt, self.retries, delay,
                )  # fmt: skip
                await self._sleep(delay)

    async def collect(
        self,
        path: str,
        model: type[M],
        *,
        kind: TokenKind,
        query: Mapping[str, Any] | None = None,
    ) -> list[M]:
        """Every item of a collection, following `links.next` with its headers."""
        answer = await self.call("GET", path, kind=kind, query=query)
        items: list[M] = []
        seen: set[tuple[str, tuple[Any, ...]]] = set()
        for _page in range(self.max_pages):
            page = _page_of(answer.data)
            items.extend(_valid(model, page.items))
            nxt = page.next
            if nxt is None or not nxt.uri:
                return items
            headers = {h.key: h.value for h in nxt.headers}
            key = (nxt.uri, tuple(sorted(headers.items())))
            if key in seen:
                raise errors.ServerError(_("Partner Center's paging went round in a circle."))
            seen.add(key)
            answer = await self.call("GET", self.link_url(nxt), kind=kind, headers=headers)
        raise errors.ServerError(
            ngettext("Partner Center's list had more than {n} page; stopped reading.",
                     "Partner Center's list had more than {n} pages; stopped reading.",
                     self.max_pages)
        )

    # -- URLs --------------------------------------------------------------------------------

    def url(self, path: str) -> str:
        if path.startswith(("https://", "http://")):
            return path
        return self.base_url + "/v1/" + path.lstrip("/")

    def link_url(self, link: Link | str) -> str:
        """A link's absolute URL: relative with or without `/v1`, or absolute on our origin."""
        uri = link.uri if isinstance(link, Link) else link
        uri = (uri or "").strip()
        if uri.startswith(("https://", "http://")):
            ours, theirs = urlsplit(self.base_url), urlsplit(uri)
            if (ours.scheme, ours.netloc) != (theirs.scheme, theirs.netloc):
                raise errors.ServerError(
                    _("Partner Center linked to another host ({host}); not followed.",
                      host=theirs.netloc)
                )
            return uri
        relative = uri.lstrip("/")
        if relative.lower().startswith("v1/"):
            relative = relative[3:]
        return self.base_url + "/v1/" + relative

    # -- machinery ---------------------------------------------------------------------------

    @staticmethod
    def _retryable(err: errors.PartnerCenterError) -> bool:
        if err.status == 429 or isinstance(err, errors.RateLimited):
            return True
        if err.status in NEVER_RETRIED:
            return False
        return err.retryable

    def _delay(self, attempt: int, err: errors.PartnerCenterError) -> float:
        """Exponential with full jitter, never sooner than Retry-After (capped)."""
        base, cap, retry_after_cap = self._backoff
        exponential = self._rng.uniform(0, min(cap, base * 2 ** (attempt - 1)))
        if err.retry_after is not None:
            return max(min(err.retry_after, retry_after_cap), exponential)
        return exponential

    def _session_for_calls(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(ssl=tls.ssl_context())
            self._session = aiohttp.ClientSession(connector=connector)
        return self._session

    async def _send(
        self,
        method: str,
        url: str,
        kind: TokenKind,
        body: Any,
        request_id: str,
        correlation_id: str,
        extra: Mapping[str, str] | None,
    ) -> Answer:
        token = await self.auth.token(kind)
        headers = {
            "Authorization": f"Bearer {token.value}",
            "Accept": "application/json",
            H_REQUEST_ID: request_id,
            H_CORRELATION_ID: correlation_id,
            "X-Locale": self.locale,
            "MS-PartnerCenter-Application": self.application,
            "MS-Contract-Version": "v1",
            **(extra or {}),
        }
        data = None
        if body is not None:
            data = json.dumps(body, separators=(",", ":")).encode()
            headers["Content-Type"] = "application/json"
        where = f"{method} {urlsplit(url).path}"
        session = self._session_for_calls()
        async with self._semaphore:
            try:
                async with session.request(
                    method,
                    url,
                    data=data,
                    headers=headers,
                    timeout=aiohttp.ClientTimeout(total=self.timeout),
                    allow_redirects=False,
                ) as resp:
                    raw = await self._read(resp)
                    status, answer_headers = resp.status, resp.headers
            except TimeoutError:
                raise errors.Timeout(
                    _("Partner Center did not answer within {wait} ({where}).",
                      wait=seconds(timedelta(seconds=self.timeout)), where=where),
                    correlation_id=correlation_id,
                    request_id=request_id,
                ) from None
            except aiohttp.ClientError as exc:
                raise errors.Unavailable(
                    _("Partner Center cannot be reached ({where}): {error}.",
                      where=where, error=type(exc).__name__),
                    correlation_id=correlation_id,
                    request_id=request_id,
                ) from exc
        text = raw.decode("utf-8", errors="replace")
        if status >= 400:
            if status == 401:
                self.auth.forget(kind)
            err = errors.error_from_answer(status, text, answer_headers, request_id=request_id)
            err.correlation_id = err.correlation_id or correlation_id
            err.query_id = err.correlation_id
            level = logging.WARNING if status >= 500 or status in (401, 403) else logging.INFO
            log.log(level, "Partner Center %s: %s", where, err)
            raise err
        if not text.strip():
            return Answer(status, answer_headers, None)
        try:
            if len(raw) > _PARSE_OFF_LOOP:
                parsed = await asyncio.to_thread(json.loads, text)
            else:
                parsed = json.loads(text)
        except ValueError:
            raise errors.ServerError(
                _("Partner Center's answer to {where} is not JSON.", where=where),
                status=status,
                correlation_id=answer_headers.get(H_CORRELATION_ID) or correlation_id,
                request_id=request_id,
            ) from None
        return Answer(status, answer_headers, parsed)

    async def _read(self, resp: aiohttp.ClientResponse) -> bytes:
        """The body, refused past `max_body` bytes (a runaway answer must not fill memory)."""
        declared = resp.content_length
        if declared is not None and declared > self.max_body:
            raise self._too_big()
        chunks, size = [], 0
        async for chunk in resp.content.iter_chunked(64 * 1024):
            size += len(chunk)
            if size > self.max_body:
                raise self._too_big()
            chunks.append(chunk)
        return b"".join(chunks)

    def _too_big(self) -> errors.ServerError:
        err = errors.ServerError(
            ngettext("Partner Center's answer is larger than {n} byte; not read.",
                     "Partner Center's answer is larger than {n} bytes; not read.",
                     self.max_body)
        )
        err.retryable = False  # it would be as large again
        return err

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None


def _page_of(data: Any) -> Collection[Any]:
    """A collection page; a bare JSON list (seen in some older endpoints, inferred) counts."""
    if isinstance(data, list):
        return Collection[Any](items=data)
    if not isinstance(data, dict):
        return Collection[Any]()
    try:
        return Collection[Any].model_validate(data)
    except ValidationError:
        return Collection[Any](items=data.get("items") or [])


def _valid(model: type[M], items: list[Any]) -> list[M]:
    """Items that parse; one malformed item is logged and left out, not the whole list."""
    good = []
    for item in items:
        try:
            good.append(model.model_validate(item))
        except ValidationError as exc:
            log.warning("Partner Center sent a %s the bot cannot read: %s", model.__name__, exc)
    return good

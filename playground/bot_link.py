"""The playground's side of Slack → bot: signed HTTP requests to the bot's endpoint.

Requests are signed exactly as Slack signs them (v0 HMAC-SHA256 over timestamp and raw body)
with the playground's own signing secret, which the bot was started with; slash commands go
form-encoded, interactions as `payload=<JSON>`, events as JSON. An answer that takes longer
than Slack's 3 seconds is treated the way Slack treats it: as no answer.
"""

from __future__ import annotations

import json
import time
import urllib.parse
from dataclasses import dataclass
from typing import Any

import aiohttp
from slack_sdk.signature import SignatureVerifier

ACK_SECONDS = 3.0


@dataclass
class BotAnswer:
    """The bot's HTTP answer; `error` is the code Slack would show when there is no good one."""

    status: int
    body: str
    seconds: float
    error: str | None = None

    @property
    def json(self) -> dict:
        if not self.body.strip().startswith("{"):
            return {}
        try:
            data = json.loads(self.body)
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}


class BotLink:
    """Sends what Slack sends to one bot, signed with one secret."""

    def __init__(self, events_url: str, signing_secret: str, ack_seconds: float = ACK_SECONDS):
        self.events_url = events_url
        self.signer = SignatureVerifier(signing_secret)
        self.ack_seconds = ack_seconds
        self._session: aiohttp.ClientSession | None = None

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def signed_headers(self, body: str, content_type: str) -> dict[str, str]:
        timestamp = str(int(time.time()))
        return {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": self.signer.generate_signature(timestamp=timestamp, body=body),
        }

    async def send_form(self, fields: dict[str, str]) -> BotAnswer:
        body = urllib.parse.urlencode(fields)
        return await self._post(body, "application/x-www-form-urlencoded")

    async def send_payload(self, payload: dict[str, Any]) -> BotAnswer:
        return await self.send_form({"payload": json.dumps(payload)})

    async def send_event(self, envelope: dict[str, Any]) -> BotAnswer:
        return await self._post(json.dumps(envelope), "application/json")

    async def _post(self, body: str, content_type: str) -> BotAnswer:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        started = time.monotonic()
        try:
            async with self._session.post(
                self.events_url,
                data=body.encode(),
                headers=self.signed_headers(body, content_type),
                timeout=aiohttp.ClientTimeout(total=self.ack_seconds),
            ) as response:
                text = await response.text()
                status = response.status
        except TimeoutError:
            return BotAnswer(0, "", time.monotonic() - started, "operation_timeout")
        except aiohttp.ClientError:
            return BotAnswer(0, "", time.monotonic() - started, "dispatch_failed")
        seconds = time.monotonic() - started
        error = None if status == 200 else ("http_error" if status != 404 else "dispatch_failed")
        return BotAnswer(status, text, seconds, error)

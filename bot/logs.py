"""Logging set-up. Secrets never reach a log line: a filter masks tokens and known secrets."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

TOKEN_PATTERN = re.compile(r"\b(xox[abposre]|xapp)-[A-Za-z0-9-]+")
MASK = "***"


class RedactSecrets(logging.Filter):
    """Rewrites each record's message with Slack tokens and configured secrets masked."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = sorted({s for s in secrets if s and len(s) >= 6}, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, MASK)
        return TOKEN_PATTERN.sub(lambda m: m.group(1) + "-" + MASK, text)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = self.redact(message)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if clean != message or record.args:
            record.msg, record.args = clean, None
        return True


def configure_logging(level: str = "INFO", secrets: Iterable[str] = ()) -> RedactSecrets:
    """Installs one stderr handler on the root logger with the redacting filter."""
    root = logging.getLogger()
    root.setLevel(level.upper())
    redactor = RedactSecrets(secrets)
    handler = next((h for h in root.handlers if getattr(h, "_csp_bot", False)), None)
    if handler is None:
        handler = logging.StreamHandler()
        handler._csp_bot = True  # type: ignore[attr-defined]
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
    for existing in [f for f in handler.filters if isinstance(f, RedactSecrets)]:
        handler.removeFilter(existing)
    handler.addFilter(redactor)
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    return redactor

"""Logging set-up. Secrets never reach a log line: every record is redacted when it is made.

Redacting in the record factory (not in one handler's filter) covers every handler: ours,
pytest's, an operator's own. The factory also stamps each record with its context (the Slack
request's correlation id, the request ref: `bot.app.log_context`), while it is still the task that
logs; `bot.app.log_format` prints it as text or JSON.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import Any

from bot.app import log_context
from bot.app.log_format import CONTEXT_ATTR, LogFormat, formatter_for, quiet_start_up, resolve

TOKEN_PATTERN = re.compile(r"\b(xox[abposre]|xapp)-[A-Za-z0-9-]+")
MASK = "***"


class Redactor:
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self.secrets = sorted({s for s in secrets if s and len(s) >= 6}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, MASK)
        return TOKEN_PATTERN.sub(lambda m: m.group(1) + "-" + MASK, text)


_base_factory = logging.getLogRecordFactory()
_redact = Redactor()


def redact(text: str) -> str:
    """Masks the secrets installed last, and Slack tokens always."""
    return _redact(text)


def _redacting_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
    record = _base_factory(*args, **kwargs)
    context = log_context.fields()
    if context:
        setattr(record, CONTEXT_ATTR, context)
    try:
        message = record.getMessage()
    except Exception:  # a broken format string is the caller's bug; leave it to logging
        return record
    clean = _redact(message)
    if clean != message or record.args:
        record.msg, record.args = clean, None
    if record.exc_info:
        record.exc_text = _redact(logging.Formatter().formatException(record.exc_info))
    return record


def install_redaction(secrets: Iterable[str] = ()) -> None:
    """Masks Slack tokens always, and the given secret values, in every record from now on."""
    global _redact
    _redact = Redactor(secrets)
    logging.setLogRecordFactory(_redacting_factory)


def configure_logging(
    level: str = "INFO", secrets: Iterable[str] = (), fmt: LogFormat | str = LogFormat.AUTO
) -> None:
    """One stderr handler on the root logger (text or JSON lines, `fmt`), and redaction of
    every record."""
    install_redaction(secrets)
    root = logging.getLogger()
    root.setLevel(level.upper())
    handler = next((h for h in root.handlers if getattr(h, "_csp_bot", False)), None)
    if handler is None:
        handler = logging.StreamHandler()
        handler._csp_bot = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    stream = getattr(handler, "stream", None)
    handler.setFormatter(formatter_for(resolve(fmt, stream), redact))
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    quiet_start_up()

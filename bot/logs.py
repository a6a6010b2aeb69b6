"""Logging set-up. Secrets never reach a log line: every record is redacted when it is made.

Redacting in the record factory (not in one handler's filter) covers every handler: ours,
pytest's, an operator's own.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

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


def _redacting_factory(*args, **kwargs) -> logging.LogRecord:
    record = _base_factory(*args, **kwargs)
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


def configure_logging(level: str = "INFO", secrets: Iterable[str] = ()) -> None:
    """One stderr handler on the root logger, and redaction of every record."""
    install_redaction(secrets)
    root = logging.getLogger()
    root.setLevel(level.upper())
    if not any(getattr(h, "_csp_bot", False) for h in root.handlers):
        handler = logging.StreamHandler()
        handler._csp_bot = True  # type: ignore[attr-defined]
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)

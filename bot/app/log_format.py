"""How log lines look: text for a person at a terminal, one JSON object a line for a log
pipeline, and the start-up chatter of libraries kept at DEBUG.

Both formats print the context of `bot.app.log_context` (the Slack request's correlation id, the
request ref), which `bot.app.logs` puts on every record as it is made. The JSON formatter redacts
every value it writes, not only the message the record factory already cleaned: an `extra`
field or a traceback may carry a secret too.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterable
from enum import StrEnum
from typing import Any, TextIO

from pythonjsonlogger.json import JsonFormatter

from bot.app import log_context

#: The record attribute `bot.app.logs` fills with `log_context.fields()`.
CONTEXT_ATTR = "csp_context"

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class LogFormat(StrEnum):
    AUTO = "auto"  # text on a terminal, JSON otherwise
    TEXT = "text"
    JSON = "json"


def resolve(fmt: LogFormat | str, stream: TextIO | None = None) -> LogFormat:
    """`auto` becomes text when the stream is a terminal (a person reads it), else JSON (a
    container runtime or a log shipper reads it)."""
    fmt = LogFormat(fmt)
    if fmt is not LogFormat.AUTO:
        return fmt
    stream = stream or sys.stderr
    isatty = getattr(stream, "isatty", None)
    return LogFormat.TEXT if isatty is not None and isatty() else LogFormat.JSON


def context_of(record: logging.LogRecord) -> dict[str, str]:
    """The context fields of a record: those bound when it was made, then explicit `extra`."""
    values = dict(getattr(record, CONTEXT_ATTR, None) or {})
    for name in log_context.FIELDS:
        explicit = record.__dict__.get(name)
        if explicit is not None:
            values[name] = explicit
    return values


class TextFormatter(logging.Formatter):
    """The classic line, with the context at its end: `… message [request_ref=R42 …]`."""

    def __init__(self, redact: Callable[[str], str]) -> None:
        super().__init__(TEXT_FORMAT)
        self.redact = redact

    def formatMessage(self, record: logging.LogRecord) -> str:
        line = super().formatMessage(record)
        context = context_of(record)
        if not context:
            return line
        tail = " ".join(f"{k}={v}" for k, v in context.items())
        return f"{line} [{self.redact(tail)}]"


class JsonLineFormatter(JsonFormatter):
    """`{"timestamp", "level", "logger", "message", <context>, <extra>, "exc_info"}`, redacted."""

    def __init__(self, redact: Callable[[str], str]) -> None:
        super().__init__(
            "{levelname}{name}{message}",
            style="{",
            rename_fields={"levelname": "level", "name": "logger"},
            timestamp=True,
        )
        self.redact = redact

    def add_fields(self, log_data: dict[str, Any], record: logging.LogRecord,
                   message_dict: dict[str, Any]) -> None:
        super().add_fields(log_data, record, message_dict)
        log_data.pop(CONTEXT_ATTR, None)
        head = {k: log_data.pop(k, None) for k in ("timestamp", "level", "logger", "message")}
        rest = dict(log_data)
        log_data.clear()
        log_data.update(head)
        log_data.update(context_of(record))
        log_data.update({k: v for k, v in rest.items() if k not in log_data})

    def process_log_record(self, log_data: dict[str, Any]) -> dict[str, Any]:
        return {k: self._clean(v) for k, v in log_data.items()}

    def _clean(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.redact(value)
        if isinstance(value, dict):
            return {k: self._clean(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self._clean(v) for v in value]
        return value


def formatter_for(fmt: LogFormat, redact: Callable[[str], str]) -> logging.Formatter:
    return JsonLineFormatter(redact) if fmt is LogFormat.JSON else TextFormatter(redact)


# --- start-up chatter -------------------------------------------------------------------------

#: Lines libraries write at INFO or WARNING on every start that tell an operator nothing:
#: (logger, how the message starts). They are demoted to DEBUG.
CHATTER: tuple[tuple[str, str], ...] = (
    ("alembic.runtime.plugins", "setup plugin"),
    ("alembic.runtime.migration", "Context impl"),
    ("alembic.runtime.migration", "Will assume"),
    # bolt reads SLACK_BOT_TOKEN from the environment itself and then warns that the client
    # we give it wins; the token comes from our `authorize` anyway.
    ("csp_bot.bolt", "As you gave `client` as well"),
)


class Demote(logging.Filter):
    """Turns matching records into DEBUG ones, dropped unless DEBUG is on."""

    def __init__(self, prefixes: Iterable[str]) -> None:
        super().__init__()
        self.prefixes = tuple(prefixes)

    def filter(self, record: logging.LogRecord) -> bool:
        if not str(record.msg).startswith(self.prefixes):
            return True
        record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return logging.getLogger().isEnabledFor(logging.DEBUG)


def quiet_start_up() -> None:
    """Installs the demotion on each chatty logger (once)."""
    by_logger: dict[str, list[str]] = {}
    for name, prefix in CHATTER:
        by_logger.setdefault(name, []).append(prefix)
    for name, prefixes in by_logger.items():
        logger = logging.getLogger(name)
        if not any(isinstance(f, Demote) for f in logger.filters):
            logger.addFilter(Demote(prefixes))

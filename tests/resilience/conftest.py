"""Shared by the resilience tests: the flow fixtures, and what "no effect" means."""

from __future__ import annotations

import logging

import pytest

from tests.flows.conftest import agents, synced  # noqa: F401  (fixtures)

#: Web API methods a request may not have made when it was refused.
EFFECTS = frozenset({
    "chat.postMessage", "chat.postEphemeral", "chat.update", "views.open", "views.push",
    "views.update", "views.publish", "conversations.open", "response_url",
})


def effects(emulator, since: int = 0) -> list[str]:
    """The Slack calls (and response_url posts) recorded after the first `since` calls."""
    return [c.method for c in emulator.calls[since:] if c.method in EFFECTS]


def errors_logged(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.fixture
def quiet(caplog):
    """Captures every log record from INFO up, for "nothing logged at ERROR" checks."""
    caplog.set_level(logging.INFO)
    return caplog


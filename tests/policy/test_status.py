"""What OVHcloud sends reads the way the rules expect: `taskPendingId: 0` is no task, and only
a known blocking status blocks (`status: "ok"`, `active`, a word nobody has seen all let a
change through). Table-driven over the wire form, as OVHcloud's JSON arrives."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot import policy
from bot.core.domain import License, Subscription

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
WEEK = timedelta(hours=168)
E3 = License(id=10021, name="Office 365 E3")
AUDIO = License(id=10040, name="Microsoft Teams Audio Conferencing", licence_type="ADDON")


def wire(**fields) -> Subscription:
    """An OfficeSubscription as OVHcloud's JSON gives it (camelCase, Paris offset)."""
    body = {"id": 480101, "licenseId": 10021, "quantity": 12, "status": "ok",
            "creationDate": "2025-01-09T11:20:52+01:00", "lastUpdate": None,
            "taskPendingId": 0}
    body.update(fields)
    return Subscription.model_validate({k: v for k, v in body.items() if v is not ...})


@pytest.mark.parametrize("value", [0, "0", None, ...], ids=["0", "'0'", "null", "missing"])
def test_no_task_reads_as_none(value) -> None:
    sub = wire(taskPendingId=value)
    assert sub.task_pending_id is None
    assert policy.seat_change(sub, E3, [], 13, NOW, WEEK).allowed
    assert policy.cancellation(sub, NOW - timedelta(days=2), NOW, WEEK).allowed


def test_a_running_task_blocks_and_is_named() -> None:
    sub = wire(taskPendingId=9100001)
    assert sub.task_pending_id == 9100001
    for refused in (policy.seat_change(sub, E3, [], 13, NOW, WEEK),
                    policy.cancellation(sub, NOW - timedelta(days=2), NOW, WEEK)):
        assert not refused.allowed and refused.field == "subscription"
        assert "task 9100001" in refused.reason


IN_SERVICE = ["ok", "OK", "active", "Active", "inService", "renewing", "", None]
BLOCKING = ["deleted", "disabled", "expired", "suspended", "Suspended", "suspending",
            "terminated", "creating", "inCreation", "IN_CREATION", "deleting"]


@pytest.mark.parametrize("status", IN_SERVICE)
def test_every_status_not_known_to_block_is_in_service(status) -> None:
    sub = wire(status=status)
    assert policy.in_service(sub.status)
    assert policy.seat_change(sub, E3, [], 13, NOW, WEEK).allowed
    assert policy.cancellation(sub, NOW - timedelta(days=2), NOW, WEEK).allowed
    assert policy.addon_parents(AUDIO, [sub], {10021: E3}, {}, {sub.id: [AUDIO.id]}) == [sub]


@pytest.mark.parametrize("status", BLOCKING)
def test_known_blocking_statuses_refuse_in_words(status) -> None:
    sub = wire(status=status)
    seats = policy.seat_change(sub, E3, [], 13, NOW, WEEK)
    cancel = policy.cancellation(sub, NOW - timedelta(days=2), NOW, WEEK)
    for refused in (seats, cancel):
        assert not refused.allowed and refused.field == "subscription"
        assert policy.status_label(status) in refused.reason
    assert policy.addon_parents(AUDIO, [sub], {10021: E3}, {}, {sub.id: [AUDIO.id]}) == []


@pytest.mark.parametrize(("status", "words"), [
    ("ok", "in service"), ("OK", "in service"), ("active", "active"),
    ("suspending", "being suspended"), ("inCreation", "being created"),
    ("inMaintenance", "in maintenance"), ("renewing", "renewing"),
    ("  <b>odd</b> ", "<b>odd</b>"), ("", "no status"), (None, "no status"),
])
def test_statuses_read_in_words_unknown_ones_as_they_are(status, words) -> None:
    assert policy.status_label(status) == words

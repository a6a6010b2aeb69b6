"""The soak, briefly: two `csp-bot serve` replicas on one PostgreSQL database and one HTTP
sandbox, a few seconds of flows; every confirmed request reaches OVHcloud exactly once, both
replicas take Slack requests, and nothing fails. (Timings are the benchmark's business.)"""

from __future__ import annotations

import pytest

from bench.soak import soak
from tests.conftest import POSTGRES_ADMIN_URL, postgres_reachable


@pytest.mark.postgres
async def test_a_short_soak_sends_every_confirmed_request_exactly_once():
    reason = await postgres_reachable()
    if reason:
        pytest.skip(reason)
    report = await soak(seconds=3, users=2, admin_url=POSTGRES_ADMIN_URL)
    assert report.errors == [], report.text()
    assert report.confirmed >= 2 and report.approved >= 1, report.text()
    assert report.done == report.confirmed
    assert report.provider_writes == report.confirmed
    assert report.writes_per_confirmed == 1.0 and report.duplicated_or_lost == []
    assert set(report.slack_by_replica) == {"bot-1", "bot-2"}
    assert report.exit_codes == {"bot-1": 0, "bot-2": 0}
    assert report.ok

"""Property-based fuzzing of every listener: signed, random-but-plausible block actions, view
submissions and option requests, built from the ids the bot registers (`bot/core/ids.py`), so a new
listener is fuzzed without touching this file.

Whatever the payload: the answer is HTTP 200, 400 or 401 (never 500), nothing is logged at
ERROR (no traceback, no "something went wrong" reference), and the provider sees no write.
"""

from __future__ import annotations

import json
import logging
import os
from enum import StrEnum

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core import ids
from bot.provider.sandbox_data import NORDWIND, NORDWIND_BASIC, NORDWIND_E3
from tests.conftest import ADA, ALICE, SAM, STAFF_CHANNEL
from tests.slack_emulator import TEAM_ID

#: Provider operations that change something (bot/provider/sandbox.py, `write=True`).
WRITES = frozenset({"updateTenant", "updateServiceInfos", "orderTenant", "changeQuantity",
                    "deleteSubscription", "addSubscription", "orderAddon"})
#: Examples per kind of request; `CSP_FUZZ_EXAMPLES=2000` for a longer run (docs/reliability.md).
EXAMPLES = int(os.environ.get("CSP_FUZZ_EXAMPLES", "150"))


def _ids_of(suffix: str) -> list[str]:
    found: list[str] = []
    for name in dir(ids):
        enum = getattr(ids, name)
        if isinstance(enum, type) and issubclass(enum, StrEnum) and name.endswith(suffix):
            found.extend(member.value for member in enum)
    return sorted(set(found))


ACTION_IDS = _ids_of("Action")
CALLBACK_IDS = _ids_of("Callback")
BLOCK_IDS = [*_ids_of("Block"), f"{ids.SubscriptionChoiceBlock.SUBSCRIPTION}.0", "b"]
OPTION_IDS = [a.value for a in ids.OptionsAction]

words = st.sampled_from([
    "", " ", "x", "0", "1", "R1", "-1", "1e20", "١٣", "9" * 40, NORDWIND, str(NORDWIND_E3),
    str(NORDWIND_BASIC), "nordwind", "open:0", "mine:99999999999999999999", "request:1:0",
    "subscription_cancel:480101", "<!channel>", "{", "null", "[]", '{"v":"tenants","p":-1}',
    '{"v":"subs","t":"csp2-nw7k3q.o365.ovh","p":9999999}', "new", "perpetual", "EUR",
])
texts = words | st.text(max_size=40)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2, 10**20) | texts,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(["t", "s", "c", "g", "u", "mode", "lines", "tenant", "channel", "id"]),
        inner, max_size=4),
    max_leaves=8,
)
metadata = texts | json_values.map(json.dumps)
option = st.fixed_dictionaries({"value": texts}) | st.none()
element_state = st.one_of(
    st.fixed_dictionaries({"type": st.just("plain_text_input"), "value": texts | st.none()}),
    st.fixed_dictionaries({"type": st.just("static_select"), "selected_option": option}),
    st.fixed_dictionaries({"type": st.just("external_select"), "selected_option": option}),
    st.fixed_dictionaries({"type": st.just("checkboxes"),
                           "selected_options": st.lists(st.fixed_dictionaries({"value": texts}),
                                                        max_size=2)}),
    st.fixed_dictionaries({"type": st.just("datepicker"), "selected_date": texts | st.none()}),
    st.fixed_dictionaries({"type": st.just("users_select"),
                           "selected_user": st.sampled_from([ALICE, "U0EVIL", ""])}),
)
state = st.dictionaries(
    st.sampled_from(BLOCK_IDS),
    st.dictionaries(st.sampled_from([*ACTION_IDS, "a"]), element_state, min_size=1, max_size=1),
    max_size=6,
)
users = st.sampled_from([ALICE, SAM, ADA, "U0NOBODY"])


def maybe(strategy):
    """A key that may be missing from the payload (None means "leave it out")."""
    return st.none() | strategy


@st.composite
def views(draw, callback_ids=st.sampled_from(CALLBACK_IDS) | texts):
    view = {"id": "V0FUZZ", "type": "modal", "callback_id": draw(callback_ids),
            "state": {"values": draw(state)}, "hash": "1.1"}
    meta = draw(maybe(metadata))
    if meta is not None:
        view["private_metadata"] = meta[:3000]
    return view


@st.composite
def block_actions(draw):
    action = {"action_id": draw(st.sampled_from(ACTION_IDS) | texts.filter(bool)),
              "block_id": draw(st.sampled_from(BLOCK_IDS)), "type": "button"}
    value = draw(maybe(texts))
    if value is not None:
        action["value"] = value
    selected = draw(maybe(option))
    if selected is not None:
        action["selected_option"] = selected
    payload = {"type": "block_actions", "team": {"id": TEAM_ID}, "user": {"id": draw(users)},
               "api_app_id": "A0CSP", "actions": [action]}
    for key, strategy in (("trigger_id", st.just("1.2.trigger")), ("view", views()),
                          ("channel", st.just({"id": STAFF_CHANNEL})),
                          ("container", st.just({"type": "message", "message_ts": "1.1",
                                                 "channel_id": STAFF_CHANNEL}))):
        drawn = draw(maybe(strategy))
        if drawn is not None:
            payload[key] = drawn
    return payload


@st.composite
def view_submissions(draw):
    return {"type": "view_submission", "team": {"id": TEAM_ID}, "user": {"id": draw(users)},
            "api_app_id": "A0CSP", "trigger_id": "1.2.trigger", "view": draw(views())}


@st.composite
def suggestions(draw):
    payload = {"type": "block_suggestion", "team": {"id": TEAM_ID},
               "user": {"id": draw(users)}, "api_app_id": "A0CSP",
               "action_id": draw(st.sampled_from(OPTION_IDS) | texts),
               "block_id": draw(st.sampled_from(BLOCK_IDS)), "value": draw(texts)}
    view = draw(maybe(views()))
    if view is not None:
        payload["view"] = view
    return payload


class Probe:
    """Sends one payload and checks the properties; counts what it saw."""

    def __init__(self, slack, bot, sandbox, caplog) -> None:
        self.slack, self.bot, self.sandbox, self.caplog = slack, bot, sandbox, caplog
        self.sent = 0
        self.statuses: dict[int, int] = {}

    async def __call__(self, payload: dict) -> None:
        writes = self._writes()
        self.caplog.clear()
        reply = await self.slack.send_payload(payload)
        await self.bot.runtime.notifier.settle()  # background work runs before the checks
        await self.bot.runtime.syncer.idle()
        self.sent += 1
        self.statuses[reply.status] = self.statuses.get(reply.status, 0) + 1
        assert reply.status in (200, 400, 401), (reply.status, reply.body, payload)
        logged = [r for r in self.caplog.records if r.levelno >= logging.ERROR]
        assert not logged, (logged[0].getMessage(), payload)
        assert self._writes() == writes, payload

    def _writes(self) -> int:
        return sum(1 for call in self.sandbox.call_log if call.op in WRITES)


@pytest.fixture
async def probe(slack, bot, sandbox, synced, agents, quiet):
    """A fuzz probe on a synced bot, with support agents; says what it sent (`pytest -s`)."""
    probe = Probe(slack, bot, sandbox, quiet)
    yield probe
    statuses = dict(sorted(probe.statuses.items()))
    print(f"\nfuzz: {probe.sent} signed probes, HTTP statuses {statuses}")


FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])


@FUZZ
@given(payload=block_actions())
async def test_block_actions(probe, payload):
    await probe(payload)


@FUZZ
@given(payload=view_submissions())
async def test_view_submissions(probe, payload):
    await probe(payload)


@FUZZ
@given(payload=suggestions())
async def test_option_requests(probe, payload):
    await probe(payload)

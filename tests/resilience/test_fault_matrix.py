"""The fault matrix: staff make one request of each kind through Slack (a seat change, an order,
a cancellation approved by a support agent, a license group edit) while the provider or Slack
misbehaves, and the worker is run until it settles. Whatever the fault, every request ends in a
terminal state its status card shows (done, failed with Retry, or needs attention with the two
"did it happen?" buttons), nothing is left queued or running, and no effect happens twice.

Provider faults come from the sandbox's `Faults` (5xx at random 30 % of the time, timeouts, 429,
tasks ending in error, a write applied and then answered with a 5xx), in-process and over signed
HTTP (OvhProvider → sandbox_server, where a timeout is a real one). Slack faults come from the
emulator: 429 storms longer than the client retries, `hash_conflict` on a modal update,
`not_in_channel` and `channel_not_found` where the status card is posted.
"""

from __future__ import annotations

import asyncio
import copy
import json
import os
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import timedelta
from types import SimpleNamespace

import pytest

from bot.app.runtime import Runtime
from bot.app.server import EVENTS_PATH, Server
from bot.core.domain import RequestState, Role
from bot.core.ids import OptionsAction
from bot.pipeline.cards import state_words
from bot.pipeline.notify import post_missing_cards
from bot.pipeline.transitions import confirmed_request, load
from bot.provider.base import ProviderTimeout, RateLimited, ServerError
from bot.provider.sandbox_data import (
    NORDWIND,
    NORDWIND_BASIC,
    NORDWIND_E3,
    OFFICE_E3,
    PADARIA,
)
from store import requests as repo
from tests.conftest import ADA, ALICE, SAM, SIGNING_SECRET, STAFF_CHANNEL
from tests.provider.conftest import CLIENT_TIMEOUT, serving
from tests.resilience import traffic
from tests.slack_emulator import SlackDriver

S = RequestState
SETTLED = {S.DONE, S.FAILED, S.NEEDS_ATTENTION}
WRITES = ("changeQuantity", "addSubscription", "deleteSubscription", "updateTenant")
#: FakeClock time between worker passes: past any backoff (30 s doubling, jittered, capped).
PASS_GAP = 1200
#: CSP_FAULT_REPORT=file appends each case's outcomes as a JSON line (docs/reliability.md).
REPORT = os.environ.get("CSP_FAULT_REPORT")
CARD_WINDOW = timedelta(days=7)


@dataclass(frozen=True)
class Fault:
    name: str
    #: Applied once the requests are confirmed; Slack faults also while they are made.
    apply: Callable[[object, object], None]
    slack: bool = False
    #: What the request may end as, by kind (default: done).
    outcomes: dict[str, set[RequestState]] | None = None


def each_write(error, applied: bool = False, times: int = 1) -> list[tuple]:
    return [(op, error, applied) for op in WRITES for _ in range(times)]


ANY = {"seats": SETTLED, "order": SETTLED, "cancel": SETTLED, "tenant": SETTLED}
PROVIDER_FAULTS = [
    Fault("5xx 30%", lambda box, _slack: box.faults.set(error_rate=0.3), outcomes=ANY),
    # a timeout may have reached OVHcloud: reads tell for a change, a create needs a person
    Fault("timeouts", lambda box, _slack: box.faults.set(fail_next=each_write(ProviderTimeout)),
          outcomes={"order": {S.NEEDS_ATTENTION}}),
    Fault("429", lambda box, _slack: box.faults.set(fail_next=each_write(RateLimited, times=2))),
    Fault("tasks in error", lambda box, _slack: box.faults.set(task_error_next=3),
          outcomes={"seats": {S.FAILED}, "order": {S.FAILED}, "cancel": {S.FAILED}}),
    Fault("applied then 5xx",
          lambda box, _slack: box.faults.set(fail_next=each_write(ServerError, applied=True)),
          outcomes={"order": {S.NEEDS_ATTENTION}}),
]


def slack_storm(_box, emulator) -> None:
    """More 429s in a row than the client retries (3), on every method cards and DMs use."""
    for method in ("chat.postMessage", "chat.update", "conversations.open"):
        emulator.rate_limit(method, retry_after=0, times=16)


SLACK_FAULTS = [
    Fault("429 storm", slack_storm, slack=True),
    Fault("hash_conflict", lambda _box, em: em.fail("views.update", "hash_conflict", times=5),
          slack=True),
    Fault("not_in_channel", lambda _box, em: em.fail("chat.postMessage", "not_in_channel"),
          slack=True),
    Fault("channel_not_found", lambda _box, em: em.fail("chat.postMessage", "channel_not_found"),
          slack=True),
]


@dataclass
class World:
    bot: Server
    slack: SlackDriver
    sandbox: object
    clock: object
    transport: str

    @property
    def runtime(self) -> Runtime:
        return self.bot.runtime


async def served(stack: AsyncExitStack, settings, sandbox, clock, emulator, transport: str):
    provider = sandbox
    if transport == "http":
        sandbox.faults.set(hang_seconds=CLIENT_TIMEOUT * 1.5)  # longer than the client waits
        provider = (await stack.enter_async_context(serving(sandbox))).client()
    bot = Server(settings, Runtime(settings, provider=provider, clock=clock))
    await bot.start(background=False)
    stack.push_async_callback(bot.stop)
    slack = SlackDriver(emulator, f"http://127.0.0.1:{bot.port}{EVENTS_PATH}", SIGNING_SECRET)
    stack.push_async_callback(slack.close)
    await bot.runtime.roles.grant(SAM, Role.SUPPORT, ADA)
    report = await bot.runtime.syncer.sync_all()
    assert report.error is None, report.summary()
    return World(bot, slack, sandbox, clock, transport)


@pytest.fixture(autouse=True)
def no_jitter(monkeypatch):
    """slack-sdk waits Retry-After plus up to a second of jitter before retrying a 429: the
    emulator's storms say Retry-After 0, and the jitter goes, so a storm takes no real time."""
    from slack_sdk.http_retry import builtin_async_handlers

    monkeypatch.setattr(builtin_async_handlers, "random", SimpleNamespace(random=lambda: 0.0))


@pytest.fixture
async def world_of(settings, sandbox, clock, emulator) -> AsyncIterator:
    async with AsyncExitStack() as stack:

        async def make(transport: str = "sandbox") -> World:
            return await served(stack, settings, sandbox, clock, emulator, transport)

        yield make


async def make_requests(world: World, fault: Fault) -> list[traffic.Made]:
    slack = world.slack
    if fault.name == "hash_conflict":  # the person changes the subscription in the modal
        form = await traffic.modal(slack, "seats nordwind")
        reply = await slack.action(OptionsAction.SUBSCRIPTION, view=form, selected=str(NORDWIND_E3),
                                   block_id=traffic.SUBSCRIPTION, action_type="external_select")
        assert reply.status == 200 and not slack.emulator.calls_of("response_url"), reply.body

    async def number(draft_id: int) -> int:
        return (await confirmed_request(world.runtime.db, draft_id)).id

    return [
        await traffic.seat_change(slack, NORDWIND, NORDWIND_E3, 13, number),
        await traffic.order(slack, NORDWIND, OFFICE_E3, 5, number),
        await traffic.cancellation(slack, NORDWIND, NORDWIND_BASIC, SAM, number,
                                   repair=lambda: post_missing_cards(world.runtime)),
        await traffic.tenant_edit(slack, PADARIA, "Braga", number),
    ]


async def settle(world: World, made: list[traffic.Made]) -> list:
    """Worker passes, each followed by the notifications and the card repair (as the loops
    run them), until no request is left to the worker and no card is missing or behind; the
    FakeClock jumps past every backoff between passes."""
    runtime = world.runtime
    for _ in range(20):
        await runtime.worker.run_once()
        await runtime.notifier.settle()
        await post_missing_cards(runtime)
        await runtime.notifier.settle()
        requests = [await load(runtime.db, m.request_id) for m in made]
        async with runtime.db.session() as session:
            behind = await repo.requests_missing_cards(session, world.clock.now() - CARD_WINDOW)
        if all(r.state in SETTLED for r in requests) and not behind:
            return requests
        world.clock.advance(seconds=PASS_GAP)
    raise AssertionError(f"still unsettled: {[(r.ref, r.state) for r in requests]}")


def card_of(emulator, request):
    assert request.card_channel and request.card_ts and not request.card_ts.startswith(
        "posting:"), f"{request.ref} has no status card"
    return emulator.message(request.card_channel, request.card_ts)


async def run_matrix_case(world: World, fault: Fault) -> list:
    emulator, sandbox = world.slack.emulator, world.sandbox
    if fault.slack:
        fault.apply(sandbox, emulator)
    made = await make_requests(world, fault)
    before = copy.deepcopy(sandbox.world)
    fault.apply(sandbox, emulator)  # Slack faults again: while the worker finishes

    requests = await settle(world, made)

    for m, request in zip(made, requests, strict=True):
        allowed = (fault.outcomes or {}).get(m.kind, {S.DONE})
        assert request.state in allowed, (m.kind, request.state, request.error)
        shown = card_of(emulator, request).all_text
        assert state_words(request.state) in shown, (m.kind, shown)
        effect = m.applied(sandbox.world, before)
        assert effect <= 1, f"{m.kind}: its effect happened {effect} times"
        if request.state is S.DONE:
            assert effect == 1, f"{m.kind} is done but OVHcloud does not show it"
        if request.state is S.FAILED:
            assert effect == 0, f"{m.kind} failed but OVHcloud shows it"
    if REPORT:
        outcomes = {m.kind: r.state.value for m, r in zip(made, requests, strict=True)}
        line = {"fault": fault.name, "transport": world.transport, "outcomes": outcomes}
        await asyncio.to_thread(append_line, REPORT, json.dumps(line))
    creates = [c for c in sandbox.call_log if c.op == "addSubscription"]
    # a 429 is refused before anything happens, so it alone may be sent again
    assert len(creates) <= (3 if fault.name == "429" else 1), "a create was sent again"
    return requests


def append_line(path: str, line: str) -> None:
    with open(path, "a", encoding="utf-8") as out:
        out.write(line + "\n")


@pytest.mark.parametrize("fault", PROVIDER_FAULTS, ids=lambda f: f.name)
@pytest.mark.parametrize("transport", ["sandbox", "http"])
async def test_provider_faults_end_every_request_in_a_visible_terminal_state(
    world_of, fault, transport
):
    await run_matrix_case(await world_of(transport), fault)


@pytest.mark.parametrize("fault", SLACK_FAULTS, ids=lambda f: f.name)
async def test_slack_faults_end_every_request_in_a_visible_terminal_state(world_of, fault):
    requests = await run_matrix_case(await world_of(), fault)
    if fault.name in ("not_in_channel", "channel_not_found"):
        first = requests[0]  # its card was refused in the channel: it is in ALICE's DM
        assert (first.origin_channel, first.card_channel) == (STAFF_CHANNEL, f"D{ALICE}")

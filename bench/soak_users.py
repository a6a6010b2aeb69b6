"""The soak's virtual users (bench/soak.py): what each one does on Slack, and the tally of
what happened to every request it sent."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import Counter
from dataclasses import dataclass, field

SIGNING_SECRET = "soak-signing-secret-41d7"
ALICE, ADA = "U0ALICE", "U0ADA"
APPROVALS = "C0APPROVALS"
#: How long a request may take from confirm to done before the soak calls it stuck.
SETTLE_SECONDS = 30.0


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=dict)  # by kind
    statuses: Counter = field(default_factory=Counter)
    per_replica: Counter = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    #: (request id, subscription id, total asked for) of every confirmed seat change
    confirmed: list[tuple[int, int, int]] = field(default_factory=list)
    approvals: int = 0


def timed_driver(emulator, url: str, name: str, tally: Tally):
    from tests.slack_emulator import SlackDriver

    class TimedDriver(SlackDriver):
        """Times every request; remembers the trigger id of the last one."""

        last_trigger = ""

        def trigger_id(self, user: str = "U0ALICE") -> str:
            self.last_trigger = super().trigger_id(user)
            return self.last_trigger

        async def post(self, body, content_type, headers):
            reply = await super().post(body, content_type, headers)
            tally.statuses[reply.status] += 1
            tally.per_replica[name] += 1
            if reply.status != 200:
                tally.errors.append(f"{name}: HTTP {reply.status}: {reply.body[:200]}")
            elif "something went wrong" in reply.body:
                tally.errors.append(f"{name}: error reply: {reply.body[:200]}")
            return reply

    return TimedDriver(emulator, url + "/slack/events", SIGNING_SECRET)


class User:
    """Browses, types ahead, and changes the seats of its own subscription up and back down."""

    def __init__(self, n: int, drivers, emulator, db, tally: Tally, group: str, sub: int,
                 seats: int) -> None:
        self.n, self.drivers, self.emulator, self.db, self.tally = n, drivers, emulator, db, tally
        self.group, self.sub, self.seats = group, sub, seats
        self._turn = itertools.cycle(drivers)
        self.user = ALICE if n == 0 else f"U0STAFF{n}"

    def driver(self):
        return next(self._turn)

    async def run(self, deadline: float) -> None:
        from bot.core.ids import OptionsAction

        while time.monotonic() < deadline:
            for text in ("help", f"subs {self.group}", "requests"):
                await self._slack("command", self.driver().command(text, user=self.user))
            await self._slack("options", self.driver().suggest(OptionsAction.TENANT, "nord",
                                                               user=self.user))
            await self._change(self.seats + 1, approve=False)
            await self._change(self.seats - 1, approve=True)

    async def _slack(self, kind: str, sent):
        """Awaits one Slack request, timing it as Slack would: from sending to the answer."""
        started = time.perf_counter()
        reply = await sent
        self.tally.latencies.setdefault(kind, []).append(time.perf_counter() - started)
        return reply

    async def _change(self, total: int, *, approve: bool) -> None:
        from tests.flows.test_seats import form_values

        driver = self.driver()
        await self._slack("command", driver.command(f"seats {self.group} {self.sub}",
                                                    user=self.user))
        view = self._opened(driver.last_trigger)
        if view is None:
            self.tally.errors.append(f"user {self.n}: the seats modal did not open")
            return
        reply = await self._slack("view_submission", self.driver().submit(
            view, form_values(self.sub, total, tenant=self.group), user=self.user))
        if reply.view is None or reply.view.get("callback_id") != "pipeline_confirm":
            self.tally.errors.append(f"user {self.n}: {total} seats refused: {reply.body[:300]}")
            return
        request_id = int(reply.view["private_metadata"])
        confirm = await self._slack("view_submission", self.driver().submit(reply.view,
                                                                            user=self.user))
        if confirm.status != 200:
            return
        self.tally.confirmed.append((request_id, self.sub, total))
        if approve:
            card = await self._approval_card(request_id)
            if card is None:
                self.tally.errors.append(f"R{request_id}: no approval card")
                return
            await self._slack("action", self.driver().action(
                "pipeline_approve", value=str(request_id), user=ADA, message=card))
            self.tally.approvals += 1
        if await self._wait_done(request_id):
            self.seats = total

    def _opened(self, trigger: str):
        """The modal the bot opened with `trigger`, as Slack shows it (the user's top modal)."""
        for call in reversed(self.emulator.calls):
            if call.method == "views.open" and call.args.get("trigger_id") == trigger:
                return self.emulator.top_modal(self.user)
        return None

    async def _approval_card(self, request_id: int):
        for _ in range(100):
            for message in reversed(self.emulator.messages[APPROVALS]):
                if f"R{request_id}" in message.all_text:
                    return message
            await asyncio.sleep(0.05)
        return None

    async def _wait_done(self, request_id: int) -> bool:
        from store import requests as repo

        deadline = time.monotonic() + SETTLE_SECONDS
        while time.monotonic() < deadline:
            async with self.db.session() as session:
                row = await repo.get_request(session, request_id)
            if row.state == "done":
                return True
            if row.state in ("failed", "needs_attention", "rejected", "expired"):
                self.tally.errors.append(f"R{request_id} ended {row.state}: {row.error}")
                return False
            await asyncio.sleep(0.1)
        self.tally.errors.append(f"R{request_id} not done after {SETTLE_SECONDS:.0f} s")
        return False

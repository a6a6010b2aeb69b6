"""Posts and updates what people see about a request: status cards, approval cards, DMs,
and the Home tabs of its requester and decider.

Nobody calls it by hand: `pipeline.transition()` records each move on its transaction, and
`follow_up()` (the database's after-commit hook, set by the runtime) hands the committed moves
to `Notifier.request_changed()`; a rolled-back transaction tells nobody anything. Slack being
unhappy never undoes or blocks a state change: failures are logged and
`post_missing_cards()` (a background loop) posts the cards that never made it and redraws those
whose update Slack refused — each card records the version of the request it shows
(`card_shown_at`, `approval_shown_at`), so a 429 storm never leaves a card behind its request.

Who reads what, and so in which language: the cards in channels, the approval cards and
their reminders are read by many, in the workspace's language (`CSP_LANGUAGE`); what lands in
the requester's DM (their news, and the status card when the bot cannot post in the channel)
is in the requester's own language and time zone (`runtime.locales`).

Cards are always rendered from the database, not from the caller's copy, so notifications that
overtake each other still leave the newest state on screen. Posting a card is claimed in the
database first (`store.requests.claim_card`): two replicas never post the same card twice.
Slack's 429 answers are retried by the client's `AsyncRateLimitErrorRetryHandler`.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import uuid
import weakref
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from slack_sdk.errors import SlackApiError

from bot.app.log_context import about_request
from bot.core.domain import Request, RequestState
from bot.core.i18n import default_language, using
from bot.pipeline import cards, news
from bot.pipeline import transitions as pipeline
from bot.pipeline.kinds import NowFigures, spec_of
from bot.pipeline.leases import ProcessIdentity, is_gone, this_process
from bot.pipeline.transitions import WORKER, Change
from store import requests as repo

if TYPE_CHECKING:
    from bot.app.runtime import Runtime

log = logging.getLogger(__name__)

#: Redraws one person's Home tab: App Home's builder, handed over by the wiring, so that the
#: pipeline knows no flow.
HomeRedraw = Callable[[str], Awaitable[None]]

#: Posting errors that mean "not here": the card goes to the requester's DM instead.
NOT_HERE = frozenset({"not_in_channel", "channel_not_found", "is_archived", "restricted_action"})
#: A claim to post a card older than this is presumed dead (its poster crashed); a claim of a
#: process that is provably gone (bot.pipeline.leases.is_gone) is taken over at once.
CLAIM_SECONDS = 120
#: Cards still missing after this long are left alone (the request is old news).
REPAIR_DAYS = 7
RENDERED_MEMORY = 2000


async def follow_up(notifier: Notifier, changes: list[Any]) -> None:
    """What people see after a transaction committed, for each request it changed
    (`pipeline.Change`). A decision's approval card loses its buttons at once; the worker's
    changes are followed up before it goes on (its cards keep pace with it); everybody else's
    in the background, so a listener's answer never waits on Slack. Never raises."""
    for change in changes:
        if not isinstance(change, Change):
            continue
        request = change.request
        if change.before is RequestState.AWAITING_APPROVAL and (
            request.state is not RequestState.AWAITING_APPROVAL
        ):
            await notifier.approval_card_now(request.id)
        if change.actor == WORKER:
            await notifier.request_changed(request, actor=change.actor, before=change.before)
        else:
            notifier.request_changed_soon(request, actor=change.actor, before=change.before)


class Notifier:
    def __init__(self, runtime: Runtime, *, redraw_home: HomeRedraw | None = None) -> None:
        self.runtime = runtime
        self.redraw_home = redraw_home
        self._locks: weakref.WeakValueDictionary[int, asyncio.Lock] = (
            weakref.WeakValueDictionary()
        )
        self._tasks: set[asyncio.Task[None]] = set()
        self._rendered: OrderedDict[tuple[str, str], str] = OrderedDict()
        self._dm_channels: dict[str, str] = {}
        self._home_locks: weakref.WeakValueDictionary[str, asyncio.Lock] = (
            weakref.WeakValueDictionary()
        )
        self._homes_pending: set[str] = set()
        self.identity = this_process()

    # --- entry points -------------------------------------------------------------------------

    @about_request
    async def request_changed(
        self, request: Request, *, actor: str | None = None, before: RequestState | None = None
    ) -> None:
        """Brings the status card (and approval card) of `request` up to date, and DMs the
        requester on decisions and completion. Called once per committed change
        (`follow_up`); it never raises, so a Slack outage cannot break the caller. `before`
        (the state it left) is read from the audit trail when not given."""
        latest = request
        try:
            latest = await self.refresh(request.id)
        except Exception:
            log.exception("could not update the cards of %s (now %s)", request.ref, request.state)
        try:
            await self._tell_requester(request, latest, before)
        except Exception:
            log.exception("could not tell the requester that %s is %s", request.ref, request.state)
        self._redraw_homes_soon(request, latest)

    def request_changed_soon(
        self, request: Request, *, actor: str | None = None, before: RequestState | None = None
    ) -> None:
        """`request_changed` in the background: for listeners, whose answer must not wait."""
        self._spawn(self.request_changed(request, actor=actor, before=before))

    def in_background(self, work: Awaitable[None]) -> None:
        """Slack work a listener starts after its answer (an upload); `settle()` waits for it."""
        self._spawn(work)

    def _spawn(self, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def settle(self) -> None:
        """Waits for background notifications (tests; shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def refresh(self, request_id: int) -> Request:
        """Posts or updates both cards from the database; raises what Slack raised."""
        async with self._lock(request_id):
            request = await pipeline.load(self.runtime.db, request_id)
            if request.state is RequestState.DRAFT:
                return request
            failures, shown = [], {}
            for which, card in (("card", self._status_card), ("approval", self._approval_card)):
                try:  # one failing spares the other
                    version = await card(request)
                except Exception as exc:
                    failures.append(exc)
                    continue
                if version is not None:
                    shown[which] = version
            if shown:
                async with self.runtime.db.transaction() as session:
                    for which, version in shown.items():
                        await repo.card_shown(session, request_id, which, version)
            if failures:
                raise failures[0]
            return await pipeline.load(self.runtime.db, request_id)

    async def approval_card_now(self, request_id: int) -> None:
        """Replaces the approval card's buttons at once, from the listener that decided.

        Not behind the per-request lock, so a slow background update cannot hold up the
        listener's answer; the `request_changed` that follows renders the newest state.
        """
        try:
            request = await pipeline.load(self.runtime.db, request_id)
            if cards.is_posted(request.approval_ts):
                await self._update(
                    request.approval_channel, request.approval_ts, self._approval_of(request)
                )
        except Exception:
            log.exception("could not update the approval card of R%s", request_id)

    async def remind(self, request: Request, hours: int) -> None:
        """A reminder in the approval card's thread; raises when Slack refused it."""
        if not request.approval_channel:
            raise ValueError(f"{request.ref} has no approval card to remind in")
        with self._workspace():  # read in the approvals channel
            card = news.reminder(request, hours, self._figures_now(request))
        await self.runtime.slack.chat_postMessage(
            channel=request.approval_channel,
            thread_ts=request.approval_ts,
            text=card.text,
            blocks=card.blocks_json(),
        )

    async def direct_message(self, user_id: str, card: cards.Card) -> None:
        channel = await self._dm_channel(user_id)
        await self.runtime.slack.chat_postMessage(
            channel=channel, text=card.text, blocks=card.blocks_json()
        )

    # --- the cards ----------------------------------------------------------------------------

    # Each card function brings its card to `request` and returns the version (`updated_at`)
    # the card now shows; None when there is no card, or another poster is at it.

    async def _status_card(self, request: Request) -> datetime | None:
        if cards.is_posted(request.card_ts):
            steps = await pipeline.load_steps(self.runtime.db, request.id)
            async with self._reader_of(request, request.card_channel):
                card = cards.status_card(request, steps, self.runtime.clock.now())
            await self._update(request.card_channel, request.card_ts, card)
            return request.updated_at
        return await self._post_claimed(request, "card", request.card_ts, self._post_status_card)

    async def _approval_card(self, request: Request) -> datetime | None:
        if cards.is_posted(request.approval_ts):
            await self._update(
                request.approval_channel, request.approval_ts, self._approval_of(request)
            )
            return request.updated_at
        if request.state is not RequestState.AWAITING_APPROVAL:
            return None
        if not self.runtime.settings.csp_approvals_channel:
            log.warning("%s waits for approval but CSP_APPROVALS_CHANNEL is not set", request.ref)
            return None
        return await self._post_claimed(
            request, "approval", request.approval_ts, self._post_approval
        )

    async def _post_claimed(
        self,
        request: Request,
        which: str,
        current: str | None,
        post: Callable[[Request], Awaitable[tuple[str, str]]],
    ) -> datetime | None:
        """Posts a card once: claim in the database, post, store the ts (or give the claim back)."""
        now = self.runtime.clock.now()
        stale: list[str] = []
        if current is not None:
            if not self._claim_is_stale(current, now):
                return None  # somebody else is posting it right now
            stale.append(current)
        marker = self._claim_marker(now)
        async with self.runtime.db.transaction() as session:
            if not await repo.claim_card(session, request.id, which, marker, stale):
                return None
        try:
            channel, ts = await post(request)
        except BaseException:
            async with self.runtime.db.transaction() as session:
                await repo.release_card(session, request.id, which, marker)
            raise
        async with self.runtime.db.transaction() as session:
            await repo.store_card(session, request.id, which, marker, channel, ts)
        if which == "approval":
            await self._reminders_already_given(request)
        latest = await pipeline.load(self.runtime.db, request.id)
        if (latest.state, latest.updated_at) != (request.state, request.updated_at):
            # it changed while we were posting: show the newest state
            if which == "card":
                return await self._status_card(latest)
            return await self._approval_card(latest)
        return request.updated_at

    async def _reminders_already_given(self, request: Request) -> None:
        """The approval card shows the deadline: reminders already due when it is posted
        would only repeat it, so they count as given."""
        from bot.pipeline.approvals import claim_reminders, due_reminders

        if request.deadline is None:
            return
        now = self.runtime.clock.now()
        due = due_reminders(self.runtime.settings.reminder_hours, request.deadline, now)
        if due:
            await claim_reminders(self.runtime, request.id, due, now)

    def _claim_marker(self, now: datetime) -> str:
        """`posting:<unix time>:<nonce>:<this process's key>`: who claimed, and when."""
        key = self.identity.key or "-"
        return f"{repo.CARD_CLAIM_PREFIX}{int(now.timestamp())}:{uuid.uuid4().hex[:4]}:{key}"

    def _claim_is_stale(self, marker: str, now: datetime) -> bool:
        """Its poster is presumed dead (the claim is old) or provably gone (a restarted bot's
        predecessor, killed while it was posting)."""
        parts = marker.removeprefix(repo.CARD_CLAIM_PREFIX).split(":", 2)
        when, key = parts[0], parts[2] if len(parts) == 3 else ""
        try:
            claimed_at = int(when)
        except ValueError:
            return True
        if now.timestamp() - claimed_at > CLAIM_SECONDS:
            return True
        poster = ProcessIdentity.parse_key(key)
        return poster is not None and is_gone(poster, self.identity)

    async def _post_status_card(self, request: Request) -> tuple[str, str]:
        """Where the command was run; in the requester's DM when the bot can't post there."""
        steps = await pipeline.load_steps(self.runtime.db, request.id)
        now = self.runtime.clock.now()
        if request.origin_channel:
            async with self._reader_of(request, request.origin_channel):
                card = cards.status_card(
                    request.model_copy(update={"card_channel": request.origin_channel}), steps,
                    now,
                )
            try:
                return await self._post(request.origin_channel, card)
            except SlackApiError as exc:
                if exc.response.get("error") not in NOT_HERE:
                    raise
                log.info(
                    "cannot post %s's card in %s (%s): using the requester's DM",
                    request.ref, request.origin_channel, exc.response.get("error"),
                )
        channel = await self._dm_channel(request.requester)
        async with self._reader_of(request, channel):
            card = cards.status_card(
                request.model_copy(update={"card_channel": channel}), steps, now
            )
        return await self._post(channel, card)

    async def _post_approval(self, request: Request) -> tuple[str, str]:
        channel = self.runtime.settings.csp_approvals_channel
        if not channel:  # checked by the caller; said again for the type checker
            raise ValueError("CSP_APPROVALS_CHANNEL is not set")
        return await self._post(channel, self._approval_of(request))

    def _approval_of(self, request: Request) -> cards.Card:
        """The approval card as of now: what its kind works out again when it is drawn (a
        cancellation's refund estimate) replaces what the requester confirmed."""
        with self._workspace():  # read in the approvals channel
            figures = self._figures_now(request)
            return cards.approval_card(request, figures.rows if figures else None)

    def _figures_now(self, request: Request) -> NowFigures | None:
        """The figures of `request`'s kind as of now (`KindSpec.as_of_now`); never raises: a
        price book that cannot be read leaves the figures the requester confirmed."""
        try:
            return spec_of(request.kind).as_of_now(
                request, self.runtime.clock.now(), self.runtime.settings
            )
        except Exception:
            log.exception("could not work out the figures of %s again", request.ref)
            return None

    async def _post(self, channel: str, card: cards.Card) -> tuple[str, str]:
        answer = await self.runtime.slack.chat_postMessage(
            channel=channel, text=card.text, blocks=card.blocks_json()
        )
        self._remember(answer["channel"], answer["ts"], card)
        return answer["channel"], answer["ts"]

    async def _update(self, channel: str | None, ts: str | None, card: cards.Card) -> None:
        if not channel or not ts:
            return
        if self._rendered.get((channel, ts)) == self._digest(card):
            return  # Slack already shows exactly this
        await self.runtime.slack.chat_update(
            channel=channel, ts=ts, text=card.text, blocks=card.blocks_json()
        )
        self._remember(channel, ts, card)

    def _remember(self, channel: str, ts: str, card: cards.Card) -> None:
        self._rendered[(channel, ts)] = self._digest(card)
        self._rendered.move_to_end((channel, ts))
        while len(self._rendered) > RENDERED_MEMORY:
            self._rendered.popitem(last=False)

    # --- who reads it -------------------------------------------------------------------------

    @staticmethod
    @contextmanager
    def _workspace() -> Iterator[str]:
        """The workspace's language, for what many read (a channel): never the language of
        whoever's click or command led here."""
        with using(default_language()) as language:
            yield language

    @asynccontextmanager
    async def _reader_of(self, request: Request, channel: str | None) -> AsyncIterator[str]:
        """The language of a status card in `channel`: the requester's in a direct message
        (Slack's ids of direct messages start with D), the workspace's anywhere else."""
        if channel and channel.startswith("D"):
            with (await self.runtime.locales.of(request.requester)).speaking() as language:
                yield language
        else:
            with self._workspace() as language:
                yield language

    @staticmethod
    def _digest(card: cards.Card) -> str:
        raw = json.dumps([card.text, card.blocks_json()], sort_keys=True)
        return hashlib.sha256(raw.encode()).hexdigest()

    # --- Home tabs ----------------------------------------------------------------------------

    def _redraw_homes_soon(self, request: Request, latest: Request) -> None:
        """Redraws, in the background, the Home tabs of the requester and the decider, so
        "Your recent requests" and "Waiting for your decision" never lag behind — only for
        people who opened their tab (`runtime.home_viewers`). A redraw already waiting to start
        reads the newest state anyway, so another one is not queued behind it."""
        if self.redraw_home is None:
            return
        viewers = self.runtime.home_viewers
        people = (request.requester, latest.decided_by or request.decided_by)
        for user_id in dict.fromkeys(p for p in people if p):
            if user_id in viewers and user_id not in self._homes_pending:
                self._homes_pending.add(user_id)
                self._spawn(self._redraw_home(user_id))

    async def _redraw_home(self, user_id: str) -> None:
        """One redraw at a time per person, each built from the database once it starts, so
        the last one to finish shows the newest state. Never raises."""
        lock = self._home_locks.get(user_id)
        if lock is None:
            lock = self._home_locks[user_id] = asyncio.Lock()
        async with lock:
            self._homes_pending.discard(user_id)
            if self.redraw_home is None:
                return
            try:
                await self.redraw_home(user_id)
            except Exception:
                log.exception("could not redraw the Home tab of %s", user_id)

    # --- the requester ------------------------------------------------------------------------

    async def _tell_requester(
        self, request: Request, latest: Request, before: RequestState | None
    ) -> None:
        """A DM when a request was decided or finished (the state `request` moved into)."""
        if before is None:
            async with self.runtime.db.session() as session:
                event = await repo.last_transition_to(session, request.id, request.state)
            if event is not None and event.before_state:
                before = RequestState(event.before_state)
        with (await self.runtime.locales.of(request.requester)).speaking():  # their own words
            message = news.requester_news(
                request.model_copy(
                    update={"card_channel": latest.card_channel, "card_ts": latest.card_ts}
                ),
                before,
            )
        if message is not None:
            await self.direct_message(request.requester, message)

    async def _dm_channel(self, user_id: str) -> str:
        if user_id not in self._dm_channels:
            answer = await self.runtime.slack.conversations_open(users=user_id)
            self._dm_channels[user_id] = answer["channel"]["id"]
        return self._dm_channels[user_id]

    def _lock(self, request_id: int) -> asyncio.Lock:
        lock = self._locks.get(request_id)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[request_id] = lock
        return lock


async def post_missing_cards(runtime: Runtime) -> int:
    """Posts the status and approval cards that never made it (Slack down, a crash), and
    redraws those that show an older version of their request (an update Slack refused)."""
    since = runtime.clock.now() - timedelta(days=REPAIR_DAYS)
    async with runtime.db.session() as session:
        ids = [row.id for row in await repo.requests_missing_cards(session, since)]
    repaired = 0
    for request_id in ids:
        try:
            await runtime.notifier.refresh(request_id)
            repaired += 1
        except Exception:
            log.exception("could not post the cards of R%s; trying again later", request_id)
    return repaired

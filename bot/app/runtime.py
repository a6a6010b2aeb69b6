"""Builds and owns the long-lived parts: database, provider, Slack client, background loops."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from typing import Any

from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.app.config import ProviderName, Settings, SoftwareProviderName
from bot.core.clock import Clock, SystemClock
from bot.partner_center.provider import SoftwareProvider
from bot.provider.base import CspProvider
from store.db import Database
from store.migrate import upgrade

log = logging.getLogger(__name__)


def build_provider(settings: Settings, clock: Clock) -> CspProvider:
    """The provider the settings ask for: OVHcloud's API, or the embedded sandbox."""
    if settings.provider is ProviderName.OVH:
        from bot.provider.ovh import OvhProvider

        # the test of `settings.ovh_credentials_complete`, on names mypy can narrow
        key, secret = settings.ovh_application_key, settings.ovh_application_secret
        consumer = settings.ovh_consumer_key
        if not (key and secret and consumer):
            raise ValueError(
                "CSP_PROVIDER=ovh needs OVH_APPLICATION_KEY, OVH_APPLICATION_SECRET and "
                "OVH_CONSUMER_KEY"
            )
        return OvhProvider(
            settings.ovh_base_url,
            key,
            secret.get_secret_value(),
            consumer.get_secret_value(),
            ovh_subsidiary=settings.ovh_subsidiary,
            plan_codes=settings.ovh_plan_codes(),
            auto_pay=settings.csp_ovh_auto_pay,
        )
    from bot.provider.sandbox import SandboxProvider

    return SandboxProvider(
        clock=clock.now,
        task_duration=timedelta(seconds=settings.csp_sandbox_task_seconds),
        state_path=settings.csp_sandbox_state,
        auto_pay=settings.csp_ovh_auto_pay,
    )


def build_software_provider(settings: Settings, clock: Clock) -> SoftwareProvider:
    """Software through Partner Center: its REST API, or the embedded Partner Center sandbox."""
    if settings.software_provider is SoftwareProviderName.PARTNER_CENTER:
        from bot.partner_center.auth import PartnerCenterAuth
        from bot.partner_center.client import PartnerCenterClient

        # the test of `settings.partner_center_credentials_complete`, on names mypy can narrow
        tenant_id, client_id = settings.partner_center_tenant_id, settings.partner_center_client_id
        if not (tenant_id and client_id and settings.partner_center_client_secret):
            raise ValueError(
                "CSP_SOFTWARE_PROVIDER=partner_center needs PARTNER_CENTER_TENANT_ID, "
                "PARTNER_CENTER_CLIENT_ID and PARTNER_CENTER_CLIENT_SECRET"
            )
        auth = PartnerCenterAuth(
            tenant_id=tenant_id,
            client_id=client_id,
            client_secret=settings.partner_center_client_secret,
            refresh_token=settings.partner_center_refresh_token,
            scope=settings.partner_center_scope,
            app_scope=settings.partner_center_app_scope,
            authority_url=settings.partner_center_authority_url,
        )
        return PartnerCenterClient(auth, settings.partner_center_api_url)
    from bot.partner_center.sandbox import PartnerCenterSandbox
    from bot.partner_center.sandbox_rules import Behaviour

    return PartnerCenterSandbox(
        clock=clock.now,
        behaviour=Behaviour(perpetual_window=settings.perpetual_cancellation_window),
    )


def build_slack_client(settings: Settings) -> AsyncWebClient:
    """One Web API client for the process; honours 429 Retry-After (slack-sdk's handlers)."""
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    return AsyncWebClient(
        token=token,
        base_url=settings.slack_api_url,
        retry_handlers=[
            AsyncConnectionErrorRetryHandler(max_retry_count=2),
            AsyncRateLimitErrorRetryHandler(max_retry_count=3),
        ],
    )


@dataclass
class PeriodicLoop:
    """A background loop: `run_once()` every `interval` seconds until stopped.

    Tests call `run_once()` directly; production runs it on a task. Stopping lets the current
    iteration finish, so a worker never dies half-way through a step it can finish.
    """

    name: str
    run_once: Callable[[], Awaitable[object]]
    interval: float
    _task: asyncio.Task[None] | None = field(default=None, init=False)
    _stop: asyncio.Event = field(default_factory=asyncio.Event, init=False)
    _wake: asyncio.Event = field(default_factory=asyncio.Event, init=False)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=f"loop:{self.name}")

    def wake(self) -> None:
        """Run the next iteration now rather than after the interval."""
        self._wake.set()

    async def _run(self) -> None:
        while not self._stop.is_set():
            try:
                await self.run_once()
            except Exception:
                log.exception("background loop %s failed; it goes on", self.name)
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.interval):
                    waits = [asyncio.create_task(e.wait()) for e in (self._stop, self._wake)]
                    try:
                        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
                    finally:
                        for w in waits:
                            w.cancel()

    async def stop(self, grace: float = 30.0) -> None:
        self._stop.set()
        if self._task is not None:
            try:
                await asyncio.wait_for(self._task, grace)
            except TimeoutError:
                log.warning("loop %s did not stop within %.0fs; cancelled", self.name, grace)
            self._task = None


#: How often abandoned drafts are looked for (they are kept a day).
DRAFT_SWEEP_SECONDS = 3600.0


class Runtime:
    """Everything a listener or a loop needs, created once per process."""

    def __init__(
        self,
        settings: Settings,
        *,
        provider: CspProvider | None = None,
        software: SoftwareProvider | None = None,
        clock: Clock | None = None,
        slack_client: AsyncWebClient | None = None,
    ) -> None:
        self.settings = settings
        self.clock = clock or SystemClock()
        self.db = Database(settings.database_url)
        self.provider = provider or build_provider(settings, self.clock)
        #: Software (perpetual and software subscriptions) through Microsoft's Partner Center.
        self.software = software or build_software_provider(settings, self.clock)
        self.slack = slack_client or build_slack_client(settings)
        from bot.app.metrics import instrument

        self.metrics = instrument(self)  # its own registry: /metrics of this runtime only
        self.loops: list[PeriodicLoop] = []
        self.draining = False
        from bot.home.app_home import publish_home
        from bot.pipeline.notify import Notifier
        from bot.roles.grants import Roles

        self.roles = Roles(self)
        self.notifier = Notifier(self, redraw_home=partial(publish_home, self))
        #: who opened App Home since this process started (`bot.home.app_home.home_viewers`):
        #: their tabs are redrawn when one of their requests moves
        self.home_viewers: set[str] = set()
        from bot.app.locales import Locales
        from bot.core.i18n import set_default_language

        set_default_language(settings.csp_language)
        #: each person's language and time zone (their choice, Slack's users.info, default)
        self.locales = Locales(self, ttl=settings.csp_locale_cache_seconds)
        # What a committed transaction changed reaches the cards and DMs (bot.pipeline.notify).
        self.db.on_commit = self._follow_up
        self._install_loops()

    async def _follow_up(self, changes: list[Any]) -> None:
        from bot.pipeline.notify import follow_up

        await follow_up(self.notifier, changes)

    def _install_loops(self) -> None:
        """The background loops of each part (sync, worker, reminders) register here."""
        from bot.pipeline.approvals import watch_deadlines
        from bot.pipeline.notify import post_missing_cards

        # Approval deadlines: requests past theirs expire; approvers are reminded before.
        self.add_loop(
            "deadlines", lambda: watch_deadlines(self), self.settings.csp_deadline_check_seconds
        )
        # Status and approval cards that never reached Slack (an outage, a crash) are posted.
        self.add_loop(
            "cards", lambda: post_missing_cards(self), self.settings.csp_card_repair_seconds
        )
        from bot.terms.digest import send_digest

        # The daily window digest at CSP_DIGEST_TIME: once a day, by the replica that claims it.
        self.add_loop(
            "digest", lambda: send_digest(self), self.settings.csp_deadline_check_seconds
        )
        from bot.pipeline.transitions import forget_old_drafts

        # Drafts nobody confirmed (Back, a closed modal) are forgotten after a day.
        self.add_loop(
            "drafts", lambda: forget_old_drafts(self.db, self.clock.now()), DRAFT_SWEEP_SECONDS
        )
        from bot.pipeline.worker import Worker

        # The pipeline's executor: sends queued requests, follows their provider tasks, and
        # resumes what a stopped process left `running`. `worker.wake()` after a confirm.
        self.worker = Worker(self)
        self.worker.loop = self.add_loop(
            "worker", self.worker.run_once, self.settings.csp_worker_interval
        )
        from bot.cache.sync import Syncer

        # The cache: at start-up, then every CSP_SYNC_INTERVAL seconds (0: start-up and on
        # demand only); `syncer.refresh_tenant` after each request, `syncer.spawn` for Refresh.
        self.syncer = Syncer(self)
        self.sync_loop = self.add_loop(
            "sync", self.syncer.run_once, self.settings.csp_sync_interval or float("inf")
        )
        if self.settings.csp_sync_changes_interval:  # between full syncs: what changed
            self.add_loop("sync_changes", self.syncer.sync_changes,
                          self.settings.csp_sync_changes_interval)

        from bot.software.reminders import remind_software_windows
        from bot.software.sync import sync_software

        # Software (Partner Center): its own cache, and a DM before each purchase's
        # cancellation window closes.
        self.software_sync_loop = self.add_loop(
            "software-sync", lambda: sync_software(self),
            self.settings.csp_software_sync_seconds or float("inf"),
        )
        self.add_loop("software-reminders", lambda: remind_software_windows(self),
                      self.settings.csp_deadline_check_seconds)

    def add_loop(self, name: str, run_once: Callable[[], Awaitable[object]], interval: float
                 ) -> PeriodicLoop:
        loop = PeriodicLoop(name, run_once, interval)
        self.loops.append(loop)
        return loop

    async def start(self, *, migrate: bool = True, background: bool = True) -> None:
        if migrate:
            await upgrade(self.db.engine)
        if background:
            for loop in self.loops:
                loop.start()

    async def stop(self) -> None:
        """Stop background loops (letting each finish its iteration), then close resources."""
        self.draining = True
        await asyncio.gather(*(loop.stop() for loop in self.loops))
        try:  # refreshes and edits started after an ack: let them finish, within reason
            await asyncio.wait_for(self.syncer.idle(), 20)
        except TimeoutError:
            log.warning("background refreshes still running at shutdown were cancelled")
        try:  # users.info reads under way
            await asyncio.wait_for(self.locales.settle(), 5)
        except TimeoutError:
            log.warning("users.info reads still running at shutdown were cancelled")
        settle = getattr(self.notifier, "settle", None)
        if settle is not None:
            await settle()  # let cards and DMs already under way reach Slack
        await self.provider.close()
        await self.software.close()
        await self.db.close()

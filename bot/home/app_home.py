"""The App Home tab, built from the cache plus sections that other parts of the bot provide.

Extension point — how the pipeline adds "your recent requests" or "waiting for your decision":

    from bot.home import add_home_section

    async def waiting_for_you(runtime: Runtime, user_id) -> list[Block]:
        ...  # read the database; return [] to show nothing
    add_home_section("decisions", waiting_for_you, order=10)   # e.g. in your register()

Each provider gets `(runtime, user_id)` and returns blocks (a header or bold section first,
by convention). Sections appear after the flow buttons, lowest `order` first, each set off by
a divider. A provider that fails is logged and left out: one broken section never blanks the
tab. Call `publish_home(runtime, user_id)` to redraw someone's tab after a change.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.core.domain import Role
from bot.home.views import home_view, not_staff_view
from bot.tenants.browse import home_summary

if TYPE_CHECKING:
    from bot.app.runtime import Runtime

log = logging.getLogger(__name__)

SectionBuilder = Callable[[Any, str], Awaitable[Sequence[Block]]]


@dataclass(frozen=True)
class HomeSection:
    name: str
    build: SectionBuilder
    order: int = 100


_sections: dict[str, HomeSection] = {}


def add_home_section(name: str, build: SectionBuilder, *, order: int = 100) -> None:
    """Register (or replace, by name) a section of everyone's Home tab."""
    _sections[name] = HomeSection(name, build, order)


def remove_home_section(name: str) -> None:
    _sections.pop(name, None)


def home_sections() -> list[HomeSection]:
    return sorted(_sections.values(), key=lambda s: (s.order, s.name))


async def build_home(runtime: Runtime, user_id: str) -> View:
    """`user_id`'s Home tab, in their language (also when the worker redraws it)."""
    locale = await runtime.locales.of(user_id)
    with locale.speaking():
        return await _build_home(runtime, user_id)


async def _build_home(runtime: Runtime, user_id: str) -> View:
    if not await runtime.roles.has(user_id, Role.STAFF):
        return not_staff_view()
    summary = await home_summary(runtime)
    sections: list[list[Block]] = []
    for section in home_sections():
        try:
            blocks = list(await section.build(runtime, user_id))
        except Exception:
            log.exception("Home section %s failed; left out", section.name)
            continue
        if blocks:
            sections.append(blocks)
    return home_view(summary, sections=sections)


async def publish_home(runtime: Runtime, user_id: str) -> None:
    view = await build_home(runtime, user_id)
    await runtime.slack.views_publish(user_id=user_id, view=view)


def home_viewers(runtime: Runtime) -> set[str]:
    """Who opened the Home tab since this process started.

    Only their tabs are redrawn when one of their requests changes: a tab nobody opened is
    drawn fresh whenever it is opened, so publishing it would only spend Slack's rate limit.
    In memory and per replica: after a restart, a tab is kept current again once reopened.
    """
    viewers = getattr(runtime, "home_viewers", None)
    if viewers is None:
        viewers = runtime.home_viewers = set()
    return viewers

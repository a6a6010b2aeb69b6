"""`/csp requests`: the requests a person cares about — theirs, those waiting for their
decision, and the latest of everyone — plus the same lists as App Home sections."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from slack_sdk.models.blocks import Block

from bot.core.domain import Request, Role
from bot.core.errors import DomainError, NotAllowed
from bot.core.i18n import _
from store import requests as repo

if TYPE_CHECKING:
    from bot.app.runtime import Runtime

LIST_LIMIT = 15
HOME_LIMIT = 5


class Listing(StrEnum):
    MINE = "mine"
    WAITING = "waiting"
    RECENT = "recent"


def parse_listing(args: list[str]) -> Listing:
    word = (args[0].lower() if args else Listing.MINE.value).strip()
    try:
        return Listing(word)
    except ValueError:
        raise DomainError(
            _("Say which requests: `/csp requests mine`, `/csp requests waiting` (for your "
              "decision) or `/csp requests recent`.")
        ) from None


async def is_agent(runtime: Runtime, user_id: str) -> bool:
    roles = await runtime.roles.of(user_id)
    return Role.SUPPORT in roles or Role.ADMIN in roles


async def mine(runtime: Runtime, user_id: str, limit: int = LIST_LIMIT) -> list[Request]:
    async with runtime.db.session() as session:
        rows = await repo.recent_requests(session, requester=user_id, limit=limit)
    return [Request.model_validate(r) for r in rows]


async def waiting_for(runtime: Runtime, user_id: str, limit: int = LIST_LIMIT) -> list[Request]:
    """Requests a support agent may decide now: waiting, and not their own."""
    async with runtime.db.session() as session:
        rows = await repo.awaiting_decision(session, exclude_requester=user_id, limit=limit)
    return [Request.model_validate(r) for r in rows]


async def recent(runtime: Runtime, limit: int = LIST_LIMIT) -> list[Request]:
    async with runtime.db.session() as session:
        rows = await repo.recent_requests(session, limit=limit)
    return [Request.model_validate(r) for r in rows]


async def listing(runtime: Runtime, user_id: str, which: Listing) -> list[Request]:
    if which is Listing.WAITING:
        if not await is_agent(runtime, user_id):
            raise NotAllowed(
                _("Only support agents decide on requests; `/csp requests mine` shows yours.")
            )
        return await waiting_for(runtime, user_id)
    if which is Listing.RECENT:
        return await recent(runtime)
    return await mine(runtime, user_id)


async def your_requests_section(runtime: Runtime, user_id: str) -> list[Block]:
    """App Home: "Your recent requests" (bot.home.app_home section provider)."""
    from bot.pipeline.requests_view import listing_title, request_list_blocks

    title, empty = listing_title(Listing.MINE.value)
    return request_list_blocks(title, await mine(runtime, user_id, HOME_LIMIT), empty)


async def waiting_section(runtime: Runtime, user_id: str) -> list[Block]:
    """App Home: "Waiting for your decision", for support agents only."""
    from bot.pipeline.requests_view import listing_title, request_list_blocks

    if not await is_agent(runtime, user_id):
        return []
    title, empty = listing_title(Listing.WAITING.value)
    return request_list_blocks(title, await waiting_for(runtime, user_id, HOME_LIMIT), empty)

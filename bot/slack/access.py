"""Who may use a listener or a `/csp` subcommand: declared where it is registered, enforced here.

Every listener and subcommand declares an `Access` when it is registered (a test walks them all):
a role, with the words of the refusal, or `anyone(why)` where the role depends on the request
(an approver, the requester) and the use case decides, or where there is nothing to guard.
`Access.gate` is the bolt listener middleware that enforces it before the listener runs; the
router enforces a subcommand's. The use cases that make a draft check the drafter's role again,
so a role revoked while a form was open stops the draft at submission.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from slack_bolt.context.async_context import AsyncBoltContext

from bot.core.domain import RequestKind, Role
from bot.roles.grants import DRAFTER_ROLE, Roles, drafting_words

if TYPE_CHECKING:
    from bot.app.runtime import Runtime


@dataclass(frozen=True)
class Access:
    """`role` None: anyone may; `why` says why no role is needed at this door."""

    role: Role | None
    doing: str = ""
    why: str = ""

    async def check(self, roles: Roles, user_id: str | None) -> None:
        """NotAllowed (polite, naming the role) unless `user_id` holds the role."""
        if self.role is not None:
            await roles.require(user_id or "", self.role, self.doing)

    async def gate(
        self, runtime: Runtime, context: AsyncBoltContext, next: Callable[[], Awaitable[Any]]
    ) -> None:
        """The bolt listener middleware: `middleware=[access.gate]` at registration."""
        await self.check(runtime.roles, context.user_id)
        await next()


def needs(role: Role, doing: str) -> Access:
    """Only holders of `role`; `doing` names the action in the refusal ("changing seats")."""
    return Access(role, doing)


def drafts(kind: RequestKind) -> Access:
    """The role that prepares requests of `kind` (the one the use case checks again)."""
    return Access(DRAFTER_ROLE[kind], drafting_words(kind))


def anyone(why: str) -> Access:
    """No role at this door; `why` is for the reader (e.g. "the pipeline decides")."""
    return Access(None, why=why)


#: The listeners that rebuild a modal as it is filled in: the modal was gated when it opened,
#: and they read the cache only.
IN_OPEN_MODAL = anyone("inside a modal whose opening was gated; reads the cache only")


def access_of(middleware: object) -> Access | None:
    """The Access a registered listener middleware enforces, if it is one of ours."""
    func = getattr(middleware, "func", middleware)
    owner = getattr(func, "__self__", None)
    return owner if isinstance(owner, Access) and func == owner.gate else None

"""Who may do what: staff request, support agents decide, admins manage roles.

Roles come from three places: `CSP_ADMINS` (bootstrap admins), grants made with `/csp roles`,
and — when `CSP_SUPPORT_USERGROUP` is set — the members of that Slack user group (read with
`usergroups.users.list`, cached for a few minutes). Every handler asks here, on the server.
"""

from __future__ import annotations

import logging
import time
from typing import Protocol

from slack_sdk.web.async_client import AsyncWebClient

from bot.app.config import Settings
from bot.core.domain import RequestKind, Role
from bot.core.errors import NotAllowed
from bot.core.i18n import _
from store import roles as repo
from store.db import Database

log = logging.getLogger(__name__)

GROUP_CACHE_SECONDS = 300.0

#: What one holder of each role is called ("support agent").
ROLE_NAMES = {role: role.holder for role in Role}
#: Who holds each role, in the plural, for refusals ("… is for support agents").
ROLE_HOLDERS = {role: role.holders for role in Role}


#: Who prepares and confirms each kind of request. Checked when the draft is made and again
#: at Confirm, so a role revoked while a form or a confirmation was open stops the request.
DRAFTER_ROLE = {kind: Role.STAFF for kind in RequestKind} | {
    RequestKind.SOFTWARE_CANCEL: Role.ADMIN_AGENT,  # Partner Center lets only an Admin agent
}


def drafting_words(kind: RequestKind) -> str:
    """What a person does when drafting `kind`, for the refusal ("Sorry, … is for staff")."""
    return {
        RequestKind.ORDER: _("ordering licenses"),
        RequestKind.SEATS: _("changing seats"),
        RequestKind.CANCEL: _("cancelling subscriptions"),
        RequestKind.REFUND: _("opening refund tickets"),
        RequestKind.TENANT_EDIT: _("editing a license group"),
        RequestKind.SOFTWARE_BUY: _("buying software"),
        RequestKind.SOFTWARE_CANCEL: _("cancelling software"),
    }[kind]


class RoleSources(Protocol):
    """Where roles come from: the settings (bootstrap admins), the database (grants) and Slack
    (the support user group)."""

    settings: Settings
    db: Database
    slack: AsyncWebClient


class Roles:
    def __init__(self, runtime: RoleSources) -> None:
        self.runtime = runtime
        self._group: tuple[float, frozenset[str]] | None = None

    async def of(self, user_id: str) -> set[Role]:
        settings = self.runtime.settings
        async with self.runtime.db.session() as session:
            roles = {Role(r) for r in await repo.granted_roles(session, user_id)}
        if user_id in settings.admin_ids:
            roles.add(Role.ADMIN)
        if user_id in await self.support_group_members():
            roles.add(Role.SUPPORT)
        if settings.csp_everyone_is_staff or roles:
            roles.add(Role.STAFF)
        return roles

    async def has(self, user_id: str, role: Role) -> bool:
        return role in await self.of(user_id)

    async def require(self, user_id: str, role: Role, doing: str) -> None:
        """Raises a polite NotAllowed that names the role needed and who can grant it."""
        if not await self.has(user_id, role):
            raise NotAllowed(
                _(
                    "Sorry, {doing} is for {holders}. An admin of csp-bot can grant the role "
                    "with `/csp roles grant @you {role_word}`.",
                    doing=doing,
                    holders=ROLE_HOLDERS[role],
                    role_word=role.value,
                )
            )

    async def require_drafter(self, user_id: str, kind: RequestKind) -> None:
        """The role that prepares and confirms `kind`; NotAllowed (polite) without it."""
        await self.require(user_id, DRAFTER_ROLE[kind], drafting_words(kind))

    async def support_group_members(self) -> frozenset[str]:
        group = self.runtime.settings.csp_support_usergroup
        if not group:
            return frozenset()
        now = time.monotonic()
        if self._group is not None and now - self._group[0] < GROUP_CACHE_SECONDS:
            return self._group[1]
        try:
            answer = await self.runtime.slack.usergroups_users_list(usergroup=group)
            members: frozenset[str] = frozenset(answer.get("users", []))
        except Exception as exc:  # keep the last known members while Slack is unhappy
            log.warning("could not read support user group %s: %s", group, exc)
            return self._group[1] if self._group else frozenset()
        self._group = (now, members)
        return members

    def forget_group(self) -> None:
        self._group = None

    async def grant(self, user_id: str, role: Role, by: str) -> bool:
        async with self.runtime.db.transaction() as session:
            return await repo.grant(session, user_id, role, by)

    async def revoke(self, user_id: str, role: Role) -> bool:
        async with self.runtime.db.transaction() as session:
            return await repo.revoke(session, user_id, role)

    async def grants(self) -> list[tuple[str, Role, str]]:
        async with self.runtime.db.session() as session:
            rows = await repo.all_grants(session)
        return [(r.user_id, Role(r.role), r.granted_by) for r in rows]

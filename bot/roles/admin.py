"""`/csp roles`: admins list, grant and revoke roles; every change is in the audit trail.

A grant and its audit event are written in one transaction, so the trail never misses one.
Admins from CSP_ADMINS and members of the support user group are shown but not editable here:
they are configuration, changed where they are configured.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.core.domain import Role
from bot.core.errors import DomainError
from bot.core.i18n import _
from bot.roles.grants import ROLE_NAMES
from store import requests as audit_repo
from store import roles as repo

if TYPE_CHECKING:
    from bot.app.runtime import Runtime

#: `<@U123|name>`, `<@U123>` (Slack's escaped mentions) or a bare `U123`/`W123`.
USER = re.compile(r"^(?:<@([UW][A-Z0-9]+)(?:\|[^>]*)?>|([UW][A-Z0-9]+))$")
#: The words that name a role in `/csp roles grant`: each role's own, "agent" for support and
#: "admin-agent" for admin_agent.
ROLE_WORDS = {role.value: role for role in Role} | {
    "agent": Role.SUPPORT, "admin-agent": Role.ADMIN_AGENT,
}
#: "staff, support, admin, admin_agent", for the help and the refusals.
ROLE_LIST = ", ".join(Role)

USAGE = _(
    "Use `/csp roles` to list roles, `/csp roles grant @someone support` to grant one, "
    "`/csp roles revoke @someone support` to take it back. Roles: {roles} (admin_agent: "
    "Partner Center's Admin agent: cancels software, sees the key route).", roles=ROLE_LIST
)


@dataclass(frozen=True)
class RoleChange:
    grant: bool
    user_id: str
    role: Role


@dataclass(frozen=True)
class RolesOverview:
    grants: list[tuple[str, Role, str]]
    config_admins: list[str]
    support_group: str | None
    support_group_members: list[str]


def parse_user(word: str) -> str:
    match = USER.match(word.strip())
    if not match:
        raise DomainError(
            _("`{word}` is not a person: mention them, e.g. `@sam`, so Slack sends their id.",
              word=word.replace("`", "'"))
        )
    return match.group(1) or match.group(2)


def parse_change(args: list[str]) -> RoleChange:
    """`grant <@U123|sam> support` or `revoke U123 admin`."""
    if len(args) != 3 or args[0].lower() not in ("grant", "revoke"):
        raise DomainError(USAGE)
    role = ROLE_WORDS.get(args[2].lower())
    if role is None:
        raise DomainError(
            _("`{word}` is not a role. Roles: {roles}.",
              word=args[2].replace("`", "'"), roles=ROLE_LIST)
        )
    return RoleChange(args[0].lower() == "grant", parse_user(args[1]), role)


async def overview(runtime: Runtime) -> RolesOverview:
    group = runtime.settings.csp_support_usergroup
    members = sorted(await runtime.roles.support_group_members()) if group else []
    return RolesOverview(
        grants=await runtime.roles.grants(),
        config_admins=sorted(runtime.settings.admin_ids),
        support_group=group,
        support_group_members=members,
    )


async def apply(runtime: Runtime, change: RoleChange, actor: str) -> str:
    """Grants or revokes; answers in words what happened (or why nothing did)."""
    name = ROLE_NAMES[change.role]
    async with runtime.db.transaction() as session:
        if change.grant:
            changed = await repo.grant(session, change.user_id, change.role, actor)
        else:
            changed = await repo.revoke(session, change.user_id, change.role)
        if changed:
            await audit_repo.add_audit(
                session,
                request_id=None,
                actor=actor,
                action="role_grant" if change.grant else "role_revoke",
                note=f"{change.role.value} {change.user_id}",
                data={"user_id": change.user_id, "role": change.role.value},
            )
    user = f"<@{change.user_id}>"
    if change.grant:
        if not changed:
            return _("{user} already has the {role} role.", user=user, role=name)
        return _("{user} now has the {role} role.", user=user, role=name)
    if changed:
        return _("{user} no longer has the {role} role.", user=user, role=name)
    why = ""
    if change.role is Role.ADMIN and change.user_id in runtime.settings.admin_ids:
        why = " " + _("They are an admin through CSP_ADMINS: change it there.")
    elif change.role is Role.SUPPORT and change.user_id in await (
        runtime.roles.support_group_members()
    ):
        why = " " + _("They are a support agent through the support user group: change it there.")
    return _("{user} had no granted {role} role; nothing changed.", user=user, role=name) + why

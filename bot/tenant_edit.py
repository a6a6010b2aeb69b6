"""Editing a license group's display name, contact and MPN ID (`PUT /saas/csp2/{serviceName}`).

Not a pipeline request (yet): after the person confirms, the change is sent at once in the
background, audited with before and after, the group is re-read into the cache, and the person
is told how it went. The form is checked here so errors show next to their fields.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from bot.domain import Role, TenantUpdate
from bot.errors import FormErrors, NotFoundError
from bot.i18n import _
from bot.provider.base import ProviderError
from bot.views.tenant import EDITABLE, LABELS
from bot.views.text import escape
from store import cache
from store import requests as audit

log = logging.getLogger(__name__)

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]{2,}$")
MPN_ID = re.compile(r"^\d{6,10}$")
PHONE = re.compile(r"^\+?[0-9 .()/-]{6,20}$")

Changes = dict[str, tuple[str | None, str]]


def parse_form(values: dict) -> dict[str, str | None]:
    """The submitted fields (`view.state.values`), checked; raises FormErrors."""
    submitted = {}
    for block_id, name, _label, _limit in EDITABLE:
        element = (values.get(block_id) or {}).get(name) or {}
        submitted[name] = (element.get("value") or "").strip() or None
    return check(submitted)


def check(
    submitted: dict[str, str | None], *, require_display_name: bool = True
) -> dict[str, str | None]:
    """Each field's rule; the errors are keyed by the field's block id."""
    errors: dict[str, str] = {}
    for block_id, name, _label, limit in EDITABLE:
        value = submitted.get(name)
        if value is None:
            if name == "display_name" and require_display_name:
                errors[block_id] = _("A license group needs a display name.")
            continue
        if len(value) > limit:
            errors[block_id] = _("At most {n} characters.", n=limit)
        elif name == "email" and not EMAIL.match(value):
            errors[block_id] = _("That is not an email address (like name@example.com).")
        elif name == "mpn_id" and not MPN_ID.match(value):
            errors[block_id] = _("An MPN ID is 6 to 10 digits, like 6180342.")
        elif name == "phone" and not PHONE.match(value):
            errors[block_id] = _("Use digits, spaces, dots or dashes, like +31.102345678.")
    if errors:
        raise FormErrors(errors)
    return submitted


def changes_of(tenant: cache.CachedTenant, submitted: dict[str, str | None]) -> Changes:
    """What differs from the cached group. An emptied optional field is left as it is: the
    provider has no way to clear it."""
    return {
        name: (getattr(tenant, name), value)
        for name, value in submitted.items()
        if value is not None and value != (getattr(tenant, name) or None)
    }


async def load_tenant(runtime: Any, user_id: str, service_name: str) -> cache.CachedTenant:
    await runtime.roles.require(user_id, Role.STAFF, _("editing a license group"))
    async with runtime.db.session() as session:
        tenant = await cache.get_tenant(session, service_name)
    if tenant is None:
        raise NotFoundError(
            _("License group `{name}` is not in the cache (any more).", name=service_name)
        )
    return tenant


async def review(runtime: Any, user_id: str, service_name: str, values: dict):
    """(tenant, changes) for the confirmation; FormErrors when invalid or nothing changed."""
    tenant = await load_tenant(runtime, user_id, service_name)
    changes = changes_of(tenant, parse_form(values))
    if not changes:
        first = EDITABLE[0][0]
        raise FormErrors({first: _("Nothing was changed.")})
    return tenant, changes


async def confirm(runtime: Any, user_id: str, service_name: str, update: dict) -> Changes:
    """Checks the confirmed change again (role, group, values) before it is sent."""
    tenant = await load_tenant(runtime, user_id, service_name)
    fields = {name: update.get(name) or None for _block, name, *_rest in EDITABLE}
    return changes_of(tenant, check(fields, require_display_name=False))


async def apply(
    runtime: Any, user_id: str, service_name: str, changes: Changes, channel: str | None
) -> bool:
    """Send the change, audit it, refresh the cache, tell the person. True when saved."""
    from bot.sync import syncer_of

    update = TenantUpdate(**{name: after for name, (_before, after) in changes.items()})
    before = {name: b for name, (b, _a) in changes.items()}
    after = {name: a for name, (_b, a) in changes.items()}
    try:
        await runtime.provider.update_tenant(service_name, update)
    except ProviderError as exc:
        async with runtime.db.transaction() as session:
            await audit.add_audit(
                session,
                tenant=service_name,
                actor=user_id,
                action="tenant_edit_failed",
                note=str(exc),
                data={"before": before, "after": after},
                provider_query_id=exc.query_id,
            )
        await tell(
            runtime,
            user_id,
            channel,
            _(
                ":x: License group `{name}` was not changed: {error}",
                name=service_name,
                error=exc.message,
            )
            + (" " + _("(OVHcloud query id `{id}`)", id=exc.query_id) if exc.query_id else ""),
        )
        return False
    async with runtime.db.transaction() as session:
        await audit.add_audit(
            session,
            tenant=service_name,
            actor=user_id,
            action="tenant_edit",
            data={"before": before, "after": after},
        )
    outcome = await syncer_of(runtime).refresh_tenant(service_name)
    lines = "\n".join(f"• {_(LABELS[name])}: {escape(b) or '—'} → {escape(a)}"
                      for name, (b, a) in changes.items())
    text = _(
        ":white_check_mark: License group `{name}` updated:\n{lines}",
        name=service_name,
        lines=lines,
    )
    if not outcome.ok:
        text += "\n" + _("The cached copy will show it after the next sync.")
    await tell(runtime, user_id, channel, text)
    return True


async def tell(runtime: Any, user_id: str, channel: str | None, text: str) -> None:
    """An ephemeral note where the edit started, or a DM."""
    try:
        if channel:
            await runtime.slack.chat_postEphemeral(channel=channel, user=user_id, text=text)
            return
    except Exception as exc:
        log.info("could not post ephemerally in %s (%s); sending a DM", channel, exc)
    try:
        await runtime.slack.chat_postMessage(channel=user_id, text=text)
    except Exception:
        log.exception("could not tell %s about a license group edit", user_id)

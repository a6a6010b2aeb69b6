"""Editing a license group's display name, contact and MPN ID (`PUT /saas/csp2/{serviceName}`).

A request of the pipeline like any other: the form is checked here (errors next to their
fields), the change becomes a draft that names its requester, with one UPDATE_TENANT step, and
the generic confirmation carries the draft's id only — so nobody but the requester can confirm
it, and what is sent is what was drafted, not what a submitted view says. Confirm queues it;
the worker sends the PUT once, re-reads the group into the cache, and the status card says how
it went.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pydantic import Field
from slack_sdk.models.views import View

from bot.cache import groups
from bot.core import contacts
from bot.core.domain import Draft, RequestKind, StepAction, TenantUpdate
from bot.core.errors import FormErrors
from bot.core.formats import join_list
from bot.core.i18n import _
from bot.core.text import escape
from bot.pipeline.confirmation import Confirmation, prepare
from bot.pipeline.kinds import KindPayload, KindSpec, register
from bot.pipeline.transitions import DraftSpec, StepSpec
from bot.slack.state import ViewState
from bot.tenants.views import EDITABLE, LABELS
from store import cache

if TYPE_CHECKING:
    from bot.app.runtime import Runtime

MPN_ID = re.compile(r"^\d{6,10}$")

Changes = dict[str, tuple[str | None, str]]


def parse_form(values: ViewState | Mapping[str, Any]) -> dict[str, str | None]:
    """The submitted fields (`view.state.values`), checked; raises FormErrors."""
    state = ViewState(values)
    submitted = {name: state.text(block_id, name) or None
                 for block_id, name, _label, _limit in EDITABLE}
    return check(submitted)


def check(submitted: dict[str, str | None]) -> dict[str, str | None]:
    """Each field's rule; the errors are keyed by the field's block id."""
    errors: dict[str, str] = {}
    for block_id, name, _label, limit in EDITABLE:
        value = submitted.get(name)
        if value is None:
            if name == "display_name":
                errors[block_id] = _("A license group needs a display name.")
            continue
        if len(value) > limit:
            errors[block_id] = _("At most {n} characters.", n=limit)
        elif name == "email" and not _is_email(value):
            errors[block_id] = _("That is not an email address (like name@example.com).")
        elif name == "mpn_id" and not MPN_ID.match(value):
            errors[block_id] = _("An MPN ID is 6 to 10 digits, like 6180342.")
        elif name == "phone":
            try:  # OVHcloud's form, whichever way it was typed (`bot.core.contacts`)
                submitted[name] = contacts.parse_phone(value)
            except contacts.ContactError:
                errors[block_id] = _("Use digits, spaces, dots or dashes, like +31.102345678.")
    if errors:
        raise FormErrors(errors)
    return submitted


def _is_email(value: str) -> bool:
    try:
        contacts.parse_email(value)
    except contacts.ContactError:
        return False
    return True


def changes_of(tenant: cache.CachedTenant, submitted: dict[str, str | None]) -> Changes:
    """What differs from the cached group. An emptied optional field is left as it is: the
    provider has no way to clear it."""
    return {
        name: (getattr(tenant, name), value)
        for name, value in submitted.items()
        if value is not None and value != (getattr(tenant, name) or None)
    }


async def load_tenant(runtime: Runtime, user_id: str, service_name: str) -> cache.CachedTenant:
    await runtime.roles.require_drafter(user_id, RequestKind.TENANT_EDIT)
    async with runtime.db.session() as session:
        return await groups.cached_group(session, service_name)


async def draft_edit(
    runtime: Runtime, user_id: str, service_name: str, values: ViewState | Mapping[str, Any],
    channel: str | None,
) -> tuple[Draft, View]:
    """Checks the form against the cached group and stores the change as a draft; returns it
    with the confirmation to push. FormErrors when invalid or when nothing changed."""
    tenant = await load_tenant(runtime, user_id, service_name)
    changes = changes_of(tenant, parse_form(values))
    if not changes:
        first = EDITABLE[0][0]
        raise FormErrors({first: _("Nothing was changed.")})
    update = TenantUpdate(**{name: after for name, (_before, after) in changes.items()})
    spec = DraftSpec(
        kind=RequestKind.TENANT_EDIT,
        requester=user_id,
        summary=_(
            "Details of {group}: {fields}",
            group=tenant.label,
            fields=join_list([_(LABELS[name]) for name in changes]),
        ),
        payload=TenantEditPayload(
            before={name: before for name, (before, _after) in changes.items()},
            after={name: after for name, (_before, after) in changes.items()},
        ).dump(),
        steps=[StepSpec(StepAction.UPDATE_TENANT,
                        {"update": update.model_dump(mode="json", exclude_none=True)})],
        tenant=service_name,
        origin_channel=channel,
    )  # fmt: skip
    return await prepare(
        runtime.db, spec, confirmation(tenant, changes), now=runtime.clock.now()
    )


def confirmation(tenant: cache.CachedTenant, changes: Changes) -> Confirmation:
    """Before → after for each changed field, in the words of the form."""
    return Confirmation.of(
        _("Confirm changes"),
        [
            (_(LABELS[name]), f"{escape(before or '—')} → *{escape(after)}*")
            for name, (before, after) in changes.items()
        ],
        intro=_(
            "Change license group *{group}* (`{name}`) at OVHcloud:",
            group=escape(tenant.label),
            name=escape(tenant.service_name),
        ),
        notes=[_("The cached copy of the group is read again once OVHcloud has the change.")],
    )


class TenantEditPayload(KindPayload):
    """What a license group edit keeps in `requests.payload`: each changed field, before and
    after."""

    before: dict[str, str | None] = Field(default_factory=dict)
    after: dict[str, str | None] = Field(default_factory=dict)


SPEC = register(KindSpec(kind=RequestKind.TENANT_EDIT, title=lambda: _("License group edit"),
                         payload=TenantEditPayload))

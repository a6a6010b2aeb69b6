"""`/csp audit <R42 | 42 | sub 12345>`: the audit trail, a page at a time."""

from __future__ import annotations

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond

from bot.app.runtime import Runtime
from bot.audit import trail as audit
from bot.audit.views import audit_blocks
from bot.core.errors import DomainError
from bot.core.i18n import _
from bot.core.ids import PipelineAction
from bot.slack.access import anyone
from bot.slack.payload import Payload, answerable
from handlers.router import CommandCall, Router, Subcommand

#: Who may read which trail depends on the subject (`bot.audit.trail.trail` decides).
TRAIL = anyone("`bot.audit.trail.trail` decides who may read which trail")


def register(app: AsyncApp, router: Router) -> None:
    router.add(
        Subcommand(
            "audit",
            _("Who did what and when to a request or a subscription."),
            "/csp audit R42",
            show_audit,
            access=TRAIL,
        )
    )
    app.action(PipelineAction.AUDIT_EARLIER, middleware=[TRAIL.gate])(turn_page)
    app.action(PipelineAction.AUDIT_LATER, middleware=[TRAIL.gate])(turn_page)


async def show_audit(call: CommandCall) -> None:
    page = await audit.trail(call.runtime, audit.parse_subject(call.args), call.user_id)
    await call.ack(
        text=_("Audit trail of {what}", what=page.subject.label),
        blocks=[b.to_dict() for b in audit_blocks(page)],
        response_type="ephemeral",
    )


async def turn_page(
    ack: AsyncAck,
    body: Payload,
    action: Payload,
    respond: AsyncRespond,
    runtime: Runtime,
    user_id: str,
) -> None:
    """Earlier / Later: the ephemeral answer is replaced by the next page (roles re-checked)."""
    await ack()
    answerable(body, "/csp audit")
    try:
        subject, number = audit.Subject.decode(action.get("value") or "")
    except ValueError:
        raise DomainError(_("That page no longer exists; run `/csp audit` again.")) from None
    page = await audit.trail(runtime, subject, user_id, number)
    await respond(
        text=_("Audit trail of {what}", what=page.subject.label),
        blocks=[b.to_dict() for b in audit_blocks(page)],
        replace_original=True,
        response_type="ephemeral",
    )

"""Every door declares who may pass: each registered listener carries an `Access` gate, each
`/csp` subcommand an `Access` the router checks (an explicit "anyone" is a declaration)."""

from __future__ import annotations

import pytest
from slack_bolt.listener.async_listener import AsyncListener

from bot.cancellation import cancel as cancellation
from bot.core.domain import RequestKind, Role
from bot.core.errors import NotAllowed
from bot.orders import plans as orders
from bot.refunds import tickets as refunds
from bot.roles.grants import DRAFTER_ROLE
from bot.seats import changes as seats
from bot.slack.access import Access, access_of, drafts
from bot.tenants import edit as tenant_edit


def _name(listener: AsyncListener) -> str:
    func = listener.ack_function
    return f"{func.__module__}.{func.__qualname__}"


async def test_every_listener_declares_its_access(bot):
    listeners = bot.bolt._async_listeners
    assert len(listeners) > 30  # the walk sees the real registrations
    undeclared = [_name(lis) for lis in listeners
                  if not any(access_of(m) for m in lis.middleware)]
    assert undeclared == [], f"listeners without a declared Access: {undeclared}"


async def test_every_subcommand_declares_its_access(bot):
    subcommands = bot.bolt.router.subcommands
    assert {"help", "seats", "roles"} <= {s.name for s in subcommands}
    assert all(isinstance(s.access, Access) for s in subcommands)
    assert [s.name for s in subcommands if s.access.role is None and not s.access.why] == []


async def test_a_door_that_opens_a_flow_asks_the_role_its_use_case_checks_again(bot):
    """The openers and submissions of a draft ask the drafter role of their kind, the same one
    `Roles.require_drafter` checks in the use case."""
    by_name = {s.name: s for s in bot.bolt.router.subcommands}
    for word, kind in [("order", RequestKind.ORDER), ("seats", RequestKind.SEATS),
                       ("cancel", RequestKind.CANCEL), ("refund", RequestKind.REFUND)]:
        assert by_name[word].access == drafts(kind)
        assert by_name[word].access.role is DRAFTER_ROLE[kind]
    assert by_name["roles"].access.role is Role.ADMIN


async def test_access_of_tells_our_gates_from_other_middleware():
    gate = drafts(RequestKind.SEATS)
    assert access_of(gate.gate) == gate

    async def other(context, next):
        await next()

    assert access_of(other) is None


USE_CASES = {
    "order": lambda runtime, who: orders.draft_order(runtime, None, actor=who),
    "seats": lambda runtime, who: seats.draft_seat_change(runtime, None, who),
    "cancel": lambda runtime, who: cancellation.draft_cancellation(runtime, None, who),
    "refund": lambda runtime, who: refunds.open_ticket(runtime, None, who, None),
    "tenant edit": lambda runtime, who: tenant_edit.draft_edit(runtime, who, "x", {}, None),
}


@pytest.mark.parametrize("flow", list(USE_CASES))
async def test_every_use_case_that_drafts_checks_the_role_itself(bot, flow):
    """Behind the gate, the use case asks again: a person without the role is refused before
    anything of the form is read (the form here is nothing at all)."""
    bot.runtime.settings.csp_everyone_is_staff = False
    with pytest.raises(NotAllowed, match="is for staff"):
        await USE_CASES[flow](bot.runtime, "U0NOBODY")

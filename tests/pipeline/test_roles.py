"""`/csp roles` as an admin uses it: list, grant and revoke, with Slack's escaped mentions; a
polite no for everyone else; every change in the audit trail; and the roles take effect."""

from __future__ import annotations

from bot.core.ids import PipelineAction
from bot.pipeline.transitions import load
from store import requests as repo
from tests.conftest import ADA, ALICE, BOB, SAM, SUE
from tests.pipeline.scenario import approval_card, confirmed_cancellation


async def role_events(runtime) -> list[tuple[str, str, dict]]:
    async with runtime.db.session() as session:
        events = await repo.audit_events(session, limit=None)
    return [(e.action, e.actor, e.data) for e in events if e.action.startswith("role_")]


async def test_only_admins_manage_roles(bot, slack):
    for text in ("roles", f"roles grant <@{BOB}|bob> admin"):
        reply = await slack.command(text, user=ALICE)
        assert reply.json["response_type"] == "ephemeral"
        assert "Sorry, managing roles is for admins" in reply.text
    assert await bot.runtime.roles.grants() == []
    assert await role_events(bot.runtime) == []


async def test_an_admin_grants_lists_and_revokes(bot, slack):
    reply = await slack.command(f"roles grant <@{SAM}|sam> support", user=ADA)
    assert f"<@{SAM}> now has the support agent role" in reply.text
    reply = await slack.command(f"roles grant <@{SAM}> support", user=ADA)
    assert "already has the support agent role" in reply.text
    reply = await slack.command(f"roles grant {BOB} admin", user=ADA)
    assert f"<@{BOB}> now has the admin role" in reply.text

    listing = await slack.command("roles", user=BOB)  # BOB is an admin now
    text = listing.text
    assert "Admins from CSP_ADMINS" in text and f"<@{ADA}>" in text
    assert f"<@{SAM}> (granted by <@{ADA}>)" in text
    assert f"<@{BOB}> (granted by <@{ADA}>)" in text

    reply = await slack.command(f"roles revoke <@{SAM}|sam> support", user=BOB)
    assert "no longer has the support agent role" in reply.text
    reply = await slack.command(f"roles revoke <@{SAM}|sam> support", user=BOB)
    assert "had no granted support agent role; nothing changed" in reply.text
    reply = await slack.command(f"roles revoke <@{ADA}> admin", user=BOB)
    assert "through CSP_ADMINS" in reply.text

    assert await role_events(bot.runtime) == [
        ("role_grant", ADA, {"user_id": SAM, "role": "support"}),
        ("role_grant", ADA, {"user_id": BOB, "role": "admin"}),
        ("role_revoke", BOB, {"user_id": SAM, "role": "support"}),
    ]


async def test_bad_role_commands_say_how_to_write_them(bot, slack):
    reply = await slack.command("roles grant sam support", user=ADA)
    assert "`sam` is not a person: mention them" in reply.text
    reply = await slack.command(f"roles grant <@{SAM}|sam> boss", user=ADA)
    assert "`boss` is not a role" in reply.text
    reply = await slack.command("roles grant", user=ADA)
    assert "/csp roles grant @someone support" in reply.text
    assert await role_events(bot.runtime) == []


async def test_a_granted_role_takes_effect_and_a_revoked_one_ends(bot, slack, emulator):
    request = await confirmed_cancellation(bot, slack, emulator)
    approval = approval_card(emulator)
    await slack.command(f"roles grant <@{SAM}|sam> support", user=ADA)
    await slack.command(f"roles revoke <@{SAM}|sam> support", user=ADA)
    await slack.action(PipelineAction.APPROVE, value=str(request.id), user=SAM, message=approval)
    assert "Only support agents" in emulator.calls_of("response_url")[-1]["text"]

    await slack.command(f"roles grant <@{SAM}|sam> support", user=ADA)
    await slack.action(PipelineAction.APPROVE, value=str(request.id), user=SAM, message=approval)
    assert (await load(bot.runtime.db, request.id)).state.value == "queued"


async def test_the_support_user_group_is_listed_and_its_members_decide(bot, slack, emulator):
    bot.runtime.settings.csp_support_usergroup = "S0SUPPORT"
    emulator.usergroups["S0SUPPORT"] = [SUE]
    listing = await slack.command("roles", user=ADA)
    assert "<!subteam^S0SUPPORT>" in listing.text and f"<@{SUE}>" in listing.text

    request = await confirmed_cancellation(bot, slack, emulator)
    await slack.action(PipelineAction.APPROVE, value=str(request.id), user=SUE,
                       message=approval_card(emulator))
    assert (await load(bot.runtime.db, request.id)).decided_by == SUE
    reply = await slack.command(f"roles revoke <@{SUE}> support", user=ADA)
    assert "through the support user group" in reply.text

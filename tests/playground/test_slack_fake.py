"""The Slack fake's own rules, as the bot's Web API client meets them: the emulator in front of
the playground's workspace, on the test's FakeClock."""

from __future__ import annotations

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from tests.slack_emulator import BOT_TOKEN

ALICE = "U0ALICE"


def modal(title: str = "Form", **extra) -> dict:
    return {"type": "modal", "title": {"type": "plain_text", "text": title},
            "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "hi"}}], **extra}


@pytest.fixture
async def client(emulator):
    client = AsyncWebClient(token=BOT_TOKEN, base_url=emulator.api_url)
    yield client
    await client.session.close() if client.session else None


async def _fails(call, code: str) -> None:
    with pytest.raises(SlackApiError) as raised:
        await call
    assert raised.value.response["error"] == code


async def test_a_trigger_works_once_and_for_three_seconds_of_the_clock(client, emulator, clock):
    trigger = emulator.workspace.issue_trigger(ALICE)
    opened = await client.views_open(trigger_id=trigger, view=modal())
    assert emulator.top_modal(ALICE)["id"] == opened["view"]["id"]
    await _fails(client.views_open(trigger_id=trigger, view=modal()), "exchanged_trigger_id")
    late = emulator.workspace.issue_trigger(ALICE)
    clock.advance(seconds=3.5)
    await _fails(client.views_open(trigger_id=late, view=modal()), "expired_trigger_id")
    await _fails(client.views_open(trigger_id="1.2.made-up", view=modal()), "invalid_trigger_id")


async def test_a_modal_stack_holds_three_views(client, emulator):
    def trigger() -> str:
        return emulator.workspace.issue_trigger(ALICE)

    await client.views_open(trigger_id=trigger(), view=modal("One"))
    await client.views_push(trigger_id=trigger(), view=modal("Two"))
    await client.views_push(trigger_id=trigger(), view=modal("Three"))
    await _fails(client.views_push(trigger_id=trigger(), view=modal("Four")),
                 "push_limit_reached")


async def test_views_update_with_an_old_hash_is_a_hash_conflict(client, emulator):
    opened = await client.views_open(trigger_id=emulator.workspace.issue_trigger(ALICE),
                                     view=modal())
    old_hash = opened["view"]["hash"]
    view_id = opened["view"]["id"]
    updated = await client.views_update(view_id=view_id, hash=old_hash, view=modal("Two"))
    assert updated["view"]["hash"] != old_hash
    await _fails(client.views_update(view_id=view_id, hash=old_hash, view=modal("Three")),
                 "hash_conflict")
    await _fails(client.views_update(view_id="V0NOPE", view=modal()), "not_found")


@pytest.mark.parametrize("view", [
    modal("A title longer than 24 chars"),
    modal(private_metadata="x" * 3001),
    modal(blocks=[{"type": "divider"}] * 101),
    modal(blocks=[{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}]),
    modal(blocks=[{"type": "actions", "elements": [
        {"type": "button", "action_id": "a", "text": {"type": "plain_text", "text": "b"}},
        {"type": "button", "action_id": "a", "text": {"type": "plain_text", "text": "c"}},
    ]}]),
    modal(blocks=[{"type": "input", "block_id": "i", "label": {"type": "plain_text", "text": "l"},
                   "element": {"type": "plain_text_input", "action_id": "t"}}]),  # no submit
], ids=["title", "metadata", "blocks", "header", "action-ids", "no-submit"])
async def test_views_past_block_kit_limits_are_refused(client, emulator, view):
    trigger = emulator.workspace.issue_trigger(ALICE)
    await _fails(client.views_open(trigger_id=trigger, view=view), "invalid_arguments")


@pytest.mark.parametrize("blocks", [
    [{"type": "divider"}] * 51,
    [{"type": "section", "text": {"type": "mrkdwn", "text": "s" * 3001}}],
    [{"type": "section", "text": {"type": "mrkdwn", "text": "s"},
      "accessory": {"type": "overflow", "action_id": "o", "options": [
          {"text": {"type": "plain_text", "text": "only"}, "value": "1"}]}}],
    [{"type": "actions", "elements": [{"type": "button", "action_id": "b",
                                       "text": {"type": "plain_text", "text": "x" * 76}}]}],
], ids=["blocks", "section-text", "overflow", "button-text"])
async def test_messages_past_block_kit_limits_are_refused(client, blocks):
    await _fails(client.chat_postMessage(channel="C0STAFF", text="t", blocks=blocks),
                 "invalid_blocks")


async def test_chat_update_needs_a_message_everyone_sees(client, emulator):
    await _fails(client.chat_update(channel="C0STAFF", ts="1.000001", text="x"),
                 "message_not_found")
    ephemeral = await client.chat_postEphemeral(channel="C0STAFF", user=ALICE, text="psst")
    await _fails(client.chat_update(channel="C0STAFF", ts=ephemeral["message_ts"], text="x"),
                 "cant_update_message")
    posted = await client.chat_postMessage(channel="C0STAFF", text="card")
    await client.chat_update(channel="C0STAFF", ts=posted["ts"], text="card, updated")
    assert emulator.message("C0STAFF", posted["ts"]).text == "card, updated"


async def test_a_command_answer_is_replaced_through_its_response_url_only(
    slack, emulator, client
):
    reply = await slack.command("help")
    shown = slack.as_message(reply)
    assert shown.user == ALICE and shown in emulator.ephemerals(ALICE)  # only Alice sees it
    await _fails(client.chat_update(channel="C0STAFF", ts=shown.ts, text="x"),
                 "cant_update_message")
    (key,) = [k for k, t in emulator.workspace.response_urls.items() if t.message_ts == shown.ts]
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{emulator.url}/response/{key}",
                             json={"replace_original": True, "text": "replaced"}) as answer:
            assert answer.status == 200
    assert shown.text == "replaced" and shown.history


async def test_a_response_url_takes_five_uses_within_thirty_minutes(emulator, clock):
    url = emulator.response_url(user=ALICE, channel="C0STAFF")
    async with aiohttp.ClientSession() as http:
        for _ in range(5):
            async with http.post(url, json={"text": "again"}) as answer:
                assert answer.status == 200
        async with http.post(url, json={"text": "once more"}) as answer:
            assert answer.status == 404
        late = emulator.response_url(user=ALICE, channel="C0STAFF")
        clock.advance(minutes=31)
        async with http.post(late, json={"text": "late"}) as answer:
            assert answer.status == 404
    assert [m.text for m in emulator.ephemerals(ALICE)] == ["again"] * 5


async def test_a_submission_needs_the_modal_open(slack, emulator):
    with pytest.raises(AssertionError, match="cannot submit"):
        await slack.submit({"id": "V0CLOSED", "type": "modal", "blocks": []}, user=ALICE)

"""The playground's Web API, called the way the bot calls it: through its own AsyncWebClient."""

from __future__ import annotations

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError

from tests.playground.conftest import ADA, ALICE, APPROVALS, SAM, STAFF

SECTION = {"type": "section", "text": {"type": "mrkdwn", "text": "hello"}}


def modal(title: str = "Test", **extra) -> dict:
    return {"type": "modal", "title": {"type": "plain_text", "text": title}, "blocks": [SECTION],
            **extra}


async def test_auth_test_names_the_bot(playground):
    answer = await playground.runtime.slack.auth_test()
    assert answer["user_id"] == "U0BOT" and answer["team"] == "Playground"


async def test_a_wrong_token_is_refused(playground):
    async with aiohttp.ClientSession() as session, session.post(
        playground.url + "api/auth.test", headers={"Authorization": "Bearer xoxb-nope"}
    ) as response:
        assert (await response.json()) == {"ok": False, "error": "invalid_auth"}


async def test_messages_dms_ephemerals_updates_and_deletes(playground, page_client):
    slack = playground.runtime.slack
    posted = await slack.chat_postMessage(channel=APPROVALS, text="card", blocks=[SECTION])
    dm = await slack.chat_postMessage(channel=SAM, text="your request is done")
    assert dm["channel"] == "DU0SAM"
    await slack.chat_postEphemeral(channel=STAFF, user=ALICE, text="only Alice")
    await slack.chat_update(channel=APPROVALS, ts=posted["ts"], text="card 2",
                            blocks=[{"type": "divider"}])

    sam = await page_client.state(SAM)
    alice = await page_client.state(ALICE)
    assert [m["text"] for m in sam["messages"]] == ["card 2", "your request is done"]
    assert [m["text"] for m in alice["messages"]] == ["card 2", "only Alice"]
    card = alice["messages"][0]
    assert card["edited"] and card["blocks"][0]["type"] == "divider"
    assert card["blocks"][0]["block_id"]  # Slack gives every block an id
    assert {"id": "DU0SAM", "name": "csp-bot", "kind": "dm"} in sam["channels"]

    link = await slack.chat_getPermalink(channel=APPROVALS, message_ts=posted["ts"])
    assert link["permalink"] == f"{playground.url}?where={APPROVALS}#{posted['ts']}"

    await slack.chat_delete(channel=APPROVALS, ts=posted["ts"])
    assert [m["text"] for m in (await page_client.state(SAM))["messages"]] == [
        "your request is done"]


async def test_slacks_errors_for_messages(playground):
    slack = playground.runtime.slack
    with pytest.raises(SlackApiError, match="message_not_found"):
        await slack.chat_update(channel=STAFF, ts="1.000001", text="x")
    eph = await slack.chat_postEphemeral(channel=STAFF, user=ALICE, text="x")
    with pytest.raises(SlackApiError, match="cant_update_message"):
        await slack.chat_update(channel=STAFF, ts=eph["message_ts"], text="y")
    with pytest.raises(SlackApiError, match="no_text"), pytest.warns(UserWarning):
        await slack.chat_postMessage(channel=STAFF)


async def test_an_unknown_method_is_refused_and_reported(playground, page_client):
    with pytest.raises(SlackApiError, match="unknown_method"):
        await playground.runtime.slack.api_call("reactions.add", json={"name": "eyes"})
    notices = (await page_client.state())["notices"]
    assert any("`reactions.add`" in n["text"] for n in notices)


async def test_triggers_work_once_within_three_seconds(playground):
    slack, ws = playground.runtime.slack, playground.workspace
    trigger = ws.issue_trigger(ALICE)
    opened = await slack.views_open(trigger_id=trigger, view=modal())
    assert opened["view"]["id"] in ws.stacks[ALICE]
    with pytest.raises(SlackApiError, match="exchanged_trigger_id"):
        await slack.views_open(trigger_id=trigger, view=modal())
    old = ws.issue_trigger(ALICE)
    ws.triggers[old].issued = ws.seconds() - 3.5
    with pytest.raises(SlackApiError, match="expired_trigger_id"):
        await slack.views_open(trigger_id=old, view=modal())
    with pytest.raises(SlackApiError, match="invalid_trigger_id"):
        await slack.views_open(trigger_id="made-up", view=modal())


async def test_push_stops_at_three_views_and_update_checks_the_hash(playground, page_client):
    slack, ws = playground.runtime.slack, playground.workspace
    first = await slack.views_open(trigger_id=ws.issue_trigger(ADA), view=modal("One"))
    await slack.views_push(trigger_id=ws.issue_trigger(ADA), view=modal("Two"))
    await slack.views_push(trigger_id=ws.issue_trigger(ADA), view=modal("Three"))
    with pytest.raises(SlackApiError, match="push_limit_reached"):
        await slack.views_push(trigger_id=ws.issue_trigger(ADA), view=modal("Four"))

    view = first["view"]
    updated = await slack.views_update(view_id=view["id"], hash=view["hash"], view=modal("Uno"))
    assert updated["view"]["id"] == view["id"] and updated["view"]["hash"] != view["hash"]
    with pytest.raises(SlackApiError, match="hash_conflict"):
        await slack.views_update(view_id=view["id"], hash=view["hash"], view=modal("Eins"))
    titles = [v["title"]["text"] for v in (await page_client.state(ADA))["modals"]]
    assert titles == ["Uno", "Two", "Three"]


async def test_views_are_checked_as_slack_checks_them(playground):
    slack, ws = playground.runtime.slack, playground.workspace
    with pytest.raises(SlackApiError, match="invalid_arguments"):
        await slack.views_open(trigger_id=ws.issue_trigger(ALICE),
                               view=modal("A title longer than 24 chars"))
    inputs = modal(blocks=[{"type": "input", "label": {"type": "plain_text", "text": "x"},
                            "element": {"type": "plain_text_input"}}])
    with pytest.raises(SlackApiError, match="invalid_arguments"):
        await slack.views_open(trigger_id=ws.issue_trigger(ALICE), view=inputs)


async def test_publish_keeps_one_home_per_person(playground, page_client):
    slack = playground.runtime.slack
    first = await slack.views_publish(user_id=SAM, view={"type": "home", "blocks": [SECTION]})
    again = await slack.views_publish(user_id=SAM, view={"type": "home", "blocks": []})
    assert first["view"]["id"] == again["view"]["id"]
    assert (await page_client.state(SAM))["home"]["blocks"] == []
    assert (await page_client.state(ALICE))["home"] is None


async def test_people_and_groups(playground, page_client):
    slack = playground.runtime.slack
    await page_client.post("session", user=ALICE, tz="Europe/Paris")
    info = await slack.users_info(user=SAM)
    assert info["user"]["real_name"] == "Sam" and info["user"]["tz"] == "Europe/Paris"
    assert info["user"]["tz_offset"] in (3600, 7200)
    assert (await slack.usergroups_users_list(usergroup="S0SUPPORT"))["users"] == [SAM]
    with pytest.raises(SlackApiError, match="user_not_found"):
        await slack.users_info(user="U0NOBODY")
    opened = await slack.conversations_open(users=ALICE)
    assert opened["channel"]["id"] == "DU0ALICE"


async def test_response_url_replaces_deletes_and_is_limited(playground, page_client):
    slack, ws = playground.runtime.slack, playground.workspace
    card = await slack.chat_postMessage(channel=STAFF, text="card")
    url = ws.issue_response_url(playground.url.rstrip("/"), ALICE, STAFF, card["ts"])
    async with aiohttp.ClientSession() as session:
        await session.post(url, json={"replace_original": True, "text": "replaced"})
        assert [m["text"] for m in (await page_client.state())["messages"]] == ["replaced"]
        await session.post(url, json={"text": "in channel", "response_type": "in_channel"})
        assert "in channel" in [m["text"] for m in (await page_client.state(SAM))["messages"]]
        await session.post(url, json={"delete_original": True})
        texts = [m["text"] for m in (await page_client.state())["messages"]]
        assert texts == ["in channel"]
        for _ in range(2):
            await session.post(url, json={"text": "more"})
        async with session.post(url, json={"text": "sixth"}) as response:
            assert response.status == 404

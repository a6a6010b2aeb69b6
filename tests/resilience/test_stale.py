"""Malformed interactions get a specific answer where the person looks — "out of date, open it
again" — and no traceback; only a genuinely unexpected error gets the generic reference."""

from __future__ import annotations

import json

import pytest

from bot.core.ids import (
    BrowseAction,
    HomeAction,
    OptionsAction,
    OrderAction,
    PipelineCallback,
    SeatsCallback,
    TenantEditCallback,
)
from tests.conftest import ALICE, SAM, STAFF_CHANNEL
from tests.resilience.conftest import errors_logged
from tests.slack_emulator import TEAM_ID, blocks_text

USER = {"id": ALICE, "team_id": TEAM_ID}


def told(emulator, user: str = ALICE) -> str:
    """What the person was told on the side: ephemerals, DMs and response_url answers."""
    said = [m.all_text for ms in emulator.messages.values() for m in ms
            if m.user == user or m.channel == "D" + user]
    said += [p.get("text", "") for ps in emulator.response_urls.values() for p in ps]
    return "\n".join(said)


def action(action_id: str, **extra) -> dict:
    return {"type": "block_actions", "user": USER, "team": {"id": TEAM_ID},
            "actions": [{"action_id": action_id, "block_id": "b", **extra}], }


def submission(callback_id: str, **view) -> dict:
    return {"type": "view_submission", "user": USER, "team": {"id": TEAM_ID},
            "view": {"id": "V1", "type": "modal", "callback_id": callback_id,
                     "state": {"values": {}}, **view}}


CLICKS = {
    "a flow button without a trigger_id": (action(HomeAction.SEATS), "/csp seats"),
    "an order button without its modal": (action(OrderAction.ADD_LINE), "/csp order"),
    "a group chosen in a modal that is not sent": (
        action(OptionsAction.TENANT) | {"container": {"type": "view"}}, None),
    "a page button without its message": (action(BrowseAction.NEXT, value="{}"),
                                          "/csp tenants"),
    "a button the bot no longer has": (action("button_from_last_year", value="1"), "/csp"),
    "an approval without a request id": (
        action("pipeline_approve") | {"response_url": "RESPONSE_URL"}, "no longer points"),
}


@pytest.mark.parametrize("name", sorted(CLICKS))
async def test_a_click_missing_what_it_needs_is_told_it_is_out_of_date(
    slack, emulator, bot, synced, quiet, name
):
    payload, expected = CLICKS[name]
    payload = json.loads(json.dumps(payload).replace("RESPONSE_URL", emulator.response_url()))
    reply = await slack.send_payload(payload)
    await bot.runtime.notifier.settle()
    assert reply.status == 200, reply.body
    if expected is None:  # a select inside a modal nobody redraws: acknowledged, nothing said
        assert told(emulator) == ""
    else:
        said = told(emulator)
        assert ("out of date" in said or "no longer" in said) and expected in said, said
        assert "reference" not in said
    assert errors_logged(quiet) == []


SUBMISSIONS = {
    "a rejection without its reason input": submission(
        PipelineCallback.REJECT, private_metadata="1"),
    "a confirmation without its request id": submission(PipelineCallback.CONFIRM),
    "a license group edit with garbage metadata": submission(
        TenantEditCallback.FORM, private_metadata="true"),
    "a modal the bot no longer has": submission("modal_from_last_year"),
}


@pytest.mark.parametrize("name", sorted(SUBMISSIONS))
async def test_a_submission_missing_what_it_needs_says_so_in_the_modal(
    slack, bot, synced, agents, quiet, name
):
    payload = SUBMISSIONS[name]
    if payload["view"]["callback_id"] == PipelineCallback.REJECT:
        payload = payload | {"user": {"id": SAM}}
    reply = await slack.send_payload(payload)
    assert reply.status == 200
    answer = reply.json
    assert answer["response_action"] == "update", answer
    text = blocks_text(answer["view"]["blocks"])
    assert "out of date" in text or "no longer points" in text, text
    assert "reference" not in text
    assert errors_logged(quiet) == []


async def test_a_seat_modal_with_garbage_metadata_opens_again_from_scratch(
    slack, emulator, synced, quiet
):
    """Unreadable private_metadata is read as "nothing chosen yet": the form says what is
    missing next to the fields, instead of failing."""
    reply = await slack.send_payload(submission(SeatsCallback.FORM, private_metadata="{[garbage"))
    assert reply.status == 200 and reply.json["response_action"] == "errors"
    assert errors_logged(quiet) == []


async def test_an_option_request_for_a_select_that_is_gone_gets_no_options(slack, quiet):
    reply = await slack.send_payload({
        "type": "block_suggestion", "user": USER, "team": {"id": TEAM_ID},
        "action_id": "select_from_last_year", "block_id": "b", "value": "nord",
    })
    assert reply.status == 200 and reply.json == {"options": []}
    assert errors_logged(quiet) == []


async def test_an_unexpected_error_still_gets_the_generic_reference(slack, emulator, bot, quiet):
    """The generic answer is kept for what nobody foresaw — and it is logged."""
    async def broken(*_args, **_kw):
        raise RuntimeError("the database fell over")

    bot.runtime.roles.require = broken  # type: ignore[method-assign]
    reply = await slack.send_payload(action(HomeAction.SEATS) | {
        "trigger_id": "1.2.3", "channel": {"id": STAFF_CHANNEL},
    })
    assert reply.status == 200
    assert "reference" in told(emulator)
    assert errors_logged(quiet)


async def test_a_command_the_bot_does_not_have_is_answered(slack, quiet):
    reply = await slack.command("help", command="/csp-old")
    assert reply.status == 200 and "`/csp` only" in reply.text
    assert errors_logged(quiet) == []

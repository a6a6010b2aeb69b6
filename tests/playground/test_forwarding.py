"""What a person does on the page reaches the bot as Slack would send it, signed, and the bot's
answers come back as Slack shows them: ephemeral replies, modal stacks, options, cards."""

from __future__ import annotations

import asyncio

from slack_bolt.request.async_request import AsyncBoltRequest

from bot.app.server import EVENTS_PATH
from bot.slack.access import anyone
from handlers.router import Subcommand
from playground.bot_link import BotLink
from tests.playground.conftest import ALICE, SAM, STAFF
from tests.playground.demo_flow import FORM, TENANT_ACTION
from tests.slack_emulator import blocks_text


def texts(snapshot: dict, channel: str = STAFF) -> list[str]:
    return [m["text"] + "\n" + blocks_text(m["blocks"])
            for m in snapshot["messages"] if m["channel"] == channel]


async def test_help_is_signed_answered_and_shown_only_to_who_asked(playground, page_client):
    requests: list[AsyncBoltRequest] = []

    @playground.bolt.middleware
    async def record(req, next):
        requests.append(req)
        await next()

    answer = await page_client.command("/csp help")
    assert answer["status"] == 200 and answer["error"] is None
    alice = texts(await page_client.state(ALICE))
    assert any("/csp help" in t and "Show this list." in t for t in alice)
    assert not any("Show this list." in t for t in texts(await page_client.state(SAM)))
    body = requests[0].body
    assert body["command"] == "/csp" and body["text"] == "help" and body["user_id"] == ALICE
    assert body["trigger_id"] and body["response_url"].startswith(playground.url + "response/")


async def test_a_request_signed_with_another_secret_is_refused_and_the_page_says_so(
    playground, page_client
):
    playground.interactions.bot = BotLink(
        f"http://127.0.0.1:{playground.port}{EVENTS_PATH}", "not-the-bots-secret"
    )
    try:
        answer = await page_client.command("/csp help")
    finally:
        await playground.interactions.bot.close()
    assert answer["status"] == 401
    snapshot = await page_client.state()
    assert any('failed with the error "http_error"' in t for t in texts(snapshot))
    assert any("HTTP 401" in n["text"] for n in snapshot["notices"])
    assert not any("Show this list." in t for t in texts(snapshot))


async def test_the_subcommand_list_comes_from_the_bots_router(page_client, demo):
    catalogue = await page_client.get("commands")
    names = [s["name"] for s in catalogue["subcommands"]]
    assert catalogue["command"] == "/csp"
    assert names[0] == "help" and "demo" in names
    assert {"name": "demo", "summary": "Try every kind of input.",
            "example": "/csp demo"} in catalogue["subcommands"]


async def test_typeahead_asks_the_bot_with_a_block_suggestion(page_client, demo):
    await page_client.command("/csp demo")
    form = await page_client.top_modal()
    assert form["callback_id"] == FORM
    answer = await page_client.post(
        "suggest", user=ALICE, view_id=form["id"], block_id="tenant", action_id=TENANT_ACTION,
        value="nord", state={},
    )
    options = answer["groups"][0]["options"]
    assert [o["value"] for o in options] == ["nordwind.onmicrosoft.com"]
    assert {"suggest": "nord"} in demo


def filled(tenant="contoso.onmicrosoft.com", seats="12") -> dict:
    option = {"text": {"type": "plain_text", "text": tenant}, "value": tenant}
    return {
        "tenant": {TENANT_ACTION: {"type": "external_select", "selected_option": option}},
        "license": {"value": {"type": "static_select", "selected_option": {
            "text": {"type": "plain_text", "text": "Microsoft 365 E3"}, "value": "e3"}}},
        "seats": {"value": {"type": "number_input", "value": seats}},
        "billing": {"value": {"type": "radio_buttons", "selected_option": {
            "text": {"type": "plain_text", "text": "Monthly"}, "value": "P1M"}}},
        "terms": {"value": {"type": "checkboxes", "selected_options": [{
            "text": {"type": "plain_text", "text": "I have the customer's consent"},
            "value": "consent"}]}},
    }


async def test_modal_stack_errors_push_back_and_clear(page_client, demo):
    await page_client.command("/csp demo")
    form = await page_client.top_modal()

    await page_client.post("submit", user=ALICE, view_id=form["id"], state=filled(seats="500"))
    shown = await page_client.top_modal()
    assert shown["id"] == form["id"]
    assert shown["errors"] == {"seats": "At most 100 seats can be ordered here."}

    result = await page_client.post("submit", user=ALICE, view_id=form["id"], state=filled())
    assert result == {"response_action": "push"}
    stack = (await page_client.state())["modals"]
    assert [v["callback_id"] for v in stack] == [FORM, "demo_confirm"]
    assert stack[1]["previous_view_id"] == form["id"] and stack[0]["errors"] == {}
    assert "contoso.onmicrosoft.com" in blocks_text(stack[1]["blocks"])

    await page_client.post("close", user=ALICE, view_id=stack[1]["id"])  # "Back"
    back = (await page_client.state())["modals"]
    assert [v["id"] for v in back] == [form["id"]]
    assert back[0]["state"]["values"]["seats"]["value"]["value"] == "12"  # values kept

    await page_client.post("submit", user=ALICE, view_id=form["id"], state=filled())
    confirm = await page_client.top_modal()
    assert await page_client.post("submit", user=ALICE, view_id=confirm["id"], state={}) == {
        "response_action": "clear"}
    snapshot = await page_client.state()
    assert snapshot["modals"] == []
    card = snapshot["messages"][-1]
    assert card["channel"] == STAFF and not card["ephemeral"]
    assert "12 × e3 for contoso.onmicrosoft.com" in blocks_text(card["blocks"])


async def test_a_button_in_a_modal_updates_it_in_place_and_keeps_what_was_typed(
    page_client, demo
):
    await page_client.command("/csp demo")
    form = await page_client.top_modal()
    typed = {"note": {"value": {"type": "plain_text_input", "value": "rush"}}}
    await page_client.post("action", user=ALICE, view_id=form["id"], state=typed, action={
        "type": "button", "action_id": "demo_fill", "block_id": "intro", "value": "fill"})
    updated = await page_client.top_modal()
    assert updated["id"] == form["id"] and updated["hash"] != form["hash"]
    seats = next(b for b in updated["blocks"] if b["block_id"] == "seats")
    assert seats["element"]["initial_value"] == "12"
    assert updated["state"]["values"]["note"]["value"]["value"] == "rush"


async def test_approval_by_someone_else_updates_the_card_for_everyone(page_client, demo):
    await page_client.command("/csp demo")
    form = await page_client.top_modal()
    await page_client.post("submit", user=ALICE, view_id=form["id"], state=filled())
    confirm = await page_client.top_modal()
    await page_client.post("submit", user=ALICE, view_id=confirm["id"], state={})
    card = (await page_client.state())["messages"][-1]
    approve = {"type": "button", "action_id": "demo_approve", "block_id": "decide",
               "value": card["blocks"][1]["elements"][0]["value"]}

    await page_client.post("action", user=ALICE, action=approve, channel=STAFF,
                           message_ts=card["ts"], state={})
    alice = await page_client.state(ALICE)
    assert "You cannot approve your own order." in texts(alice)[-1]
    assert not any("You cannot approve" in t for t in texts(await page_client.state(SAM)))

    await page_client.post("action", user=SAM, action=approve, channel=STAFF,
                           message_ts=card["ts"], state={})
    for user in (ALICE, SAM):
        seen = next(m for m in (await page_client.state(user))["messages"]
                    if m["ts"] == card["ts"])
        assert seen["edited"] and "Approved by <@U0SAM>" in blocks_text(seen["blocks"])


async def test_an_overflow_choice_answers_through_the_response_url(page_client, demo, playground):
    await page_client.command("/csp demo")
    form = await page_client.top_modal()
    await page_client.post("submit", user=ALICE, view_id=form["id"], state=filled())
    await page_client.post("submit", user=ALICE, view_id=(await page_client.top_modal())["id"],
                           state={})
    card = (await page_client.state())["messages"][-1]
    await page_client.post("action", user=SAM, channel=STAFF, message_ts=card["ts"], state={},
                           action={"type": "overflow", "action_id": "demo_menu",
                                   "block_id": "decide", "selected_option": {
                                       "text": {"type": "plain_text", "text": "Details"},
                                       "value": "details"}})
    assert {"menu": "details"} in demo
    assert "You chose details." in texts(await page_client.state(SAM))[-1]
    assert ("response_url", {"text": "You chose details.", "response_type": "ephemeral",
                             "replace_original": False}) in playground.api.calls


async def test_a_slow_answer_is_treated_as_slacks_timeout(playground, page_client):
    async def slow(call) -> None:
        await asyncio.sleep(0.5)
        await call.ack(text="too late")

    playground.bolt.router.add(Subcommand("slow", "Too slow.", "/csp slow", slow,
                               access=anyone("a test subcommand")))
    playground.link.ack_seconds = 0.2
    answer = await page_client.command("/csp slow")
    assert answer["error"] == "operation_timeout"
    snapshot = await page_client.state()
    assert any('/csp failed with the error "operation_timeout"' in t for t in texts(snapshot))
    assert any("did not answer within 3 seconds" in n["text"] for n in snapshot["notices"])
    await asyncio.sleep(0.4)  # the late answer is not shown
    assert not any("too late" in t for t in texts(await page_client.state()))


async def test_opening_the_home_tab_sends_app_home_opened(playground, page_client):
    events: list[dict] = []

    @playground.bolt.middleware
    async def record(body, next):
        if body.get("type") == "event_callback":
            events.append(body)
        await next()

    await page_client.post("home", user=SAM)
    assert [e["event"]["type"] for e in events] == ["app_home_opened"]
    event = events[0]["event"]
    assert (event["user"], event["tab"], event["channel"]) == (SAM, "home", "DU0SAM")
    published = [a for m, a in playground.api.calls if m == "views.publish"]
    home = (await page_client.state(SAM))["home"]
    if published:  # the bot draws the tab when it is opened
        assert published[-1]["user_id"] == SAM
        sent = published[-1]["view"]["blocks"]
        assert [b["type"] for b in home["blocks"]] == [b["type"] for b in sent]
        assert home["type"] == "home" and home["id"] == playground.workspace.home[SAM]
    assert (await page_client.state(ALICE))["home"] is None

    await page_client.post("home", user=SAM)  # opened again: the event carries the tab's view
    if published:
        assert events[1]["event"]["view"]["id"] == home["id"]


async def test_closing_a_modal_that_asks_to_be_told_sends_view_closed(playground, page_client):
    closed: list[dict] = []

    @playground.bolt.view_closed("watched")
    async def on_closed(ack, body):
        await ack()
        closed.append(body)

    trigger = playground.workspace.issue_trigger(ALICE)
    opened = await playground.runtime.slack.views_open(trigger_id=trigger, view={
        "type": "modal", "callback_id": "watched", "notify_on_close": True,
        "title": {"type": "plain_text", "text": "Watched"}, "blocks": []})
    await page_client.post("close", user=ALICE, view_id=opened["view"]["id"])
    assert closed and closed[0]["view"]["id"] == opened["view"]["id"]
    assert closed[0]["is_cleared"] is False
    assert (await page_client.state())["modals"] == []


async def test_support_role_is_seeded_for_sam(playground):
    from bot.core.domain import Role

    assert await playground.runtime.roles.has(SAM, Role.SUPPORT)
    assert not await playground.runtime.roles.has(ALICE, Role.SUPPORT)
    assert await playground.runtime.roles.has("U0ADA", Role.ADMIN)
    grants = await playground.runtime.roles.grants()
    assert (SAM, Role.SUPPORT, "playground") in grants


async def test_bad_page_input_is_a_clear_400(page_client):
    async with page_client.session.post(page_client.base + "command",
                                         json={"user": "U0NOBODY", "text": "/csp"}) as response:
        assert response.status == 400
        assert (await response.json())["error"] == "user_not_found"
    async with page_client.session.post(page_client.base + "submit",
                                        json={"user": ALICE, "view_id": "V404"}) as response:
        assert response.status == 400
        assert (await response.json())["error"] == "not_found"


async def test_a_commands_response_url_replaces_its_first_answer(playground, page_client):
    later: list[asyncio.Task] = []

    async def slow_list(call) -> None:
        async def finish() -> None:
            await asyncio.sleep(0.05)  # after the ack has been shown
            await call.respond(text="3 license groups", replace_original=True)

        later.append(asyncio.create_task(finish()))
        await call.ack(text="Reading the list…")

    playground.bolt.router.add(Subcommand("groups", "List.", "/csp groups", slow_list,
                               access=anyone("a test subcommand")))
    await page_client.command("/csp groups")
    await later[0]
    answers = [m for m in (await page_client.state())["messages"] if m["author"] == "U0BOT"]
    assert [(m["text"], m["edited"], m["ephemeral"]) for m in answers] == [
        ("3 license groups", True, True)]

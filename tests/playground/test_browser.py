"""The page in headless Chromium: the composer, the Home tab, every block type, modals, and a
whole request → approval round on the demo flow, as two different people."""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.playground import demo_flow
from tests.playground.conftest import ALICE, SAM, STAFF, screenshot
from tests.playground.render_fixtures import FORM_MODAL, MESSAGE_FIXTURES

pytestmark = pytest.mark.browser


def expect(locator):
    from playwright.async_api import expect as playwright_expect

    return playwright_expect(locator)


async def test_help_from_the_composer_with_subcommand_suggestions(open_page, demo):
    page = await open_page(ALICE)
    await page.fill("#composer", "/csp d")
    suggestions = page.locator("#command-suggestions")
    await expect(suggestions).to_be_visible()
    await expect(suggestions.locator(".command-suggestion")).to_have_count(1)
    await expect(suggestions).to_contain_text("Try every kind of input.")
    await page.fill("#composer", "/csp ")
    await page.locator("#composer").press("End")
    await page.locator("#composer").type("h")
    await expect(suggestions.locator(".command-name")).to_have_text(["/csp help"])
    await expect(suggestions).to_contain_text("Show this list.")
    await screenshot(page, "composer")

    await page.keyboard.press("Tab")
    await expect(page.locator("#composer")).to_have_value("/csp help ")
    await page.keyboard.press("Enter")
    answer = page.locator(".message.ephemeral").last
    await expect(answer.locator("h3")).to_have_text(
        "csp-bot: Microsoft 365 licenses through OVHcloud")
    await expect(answer).to_contain_text("/csp demo")
    await expect(answer).to_contain_text("Only visible to you")
    await screenshot(page, "help")

    await page.click("[data-user=U0SAM]")  # Sam does not see Alice's ephemeral answer
    await expect(page.locator("body")).to_have_attribute("data-user", SAM)
    await expect(page.locator(".message")).to_have_count(0)
    assert page.js_errors == []


async def test_only_the_slash_command_goes_to_the_bot(open_page):
    page = await open_page(ALICE)
    await page.fill("#composer", "/giphy cats")
    await page.keyboard.press("Enter")
    await expect(page.locator(".composer-error")).to_contain_text("/giphy is not a valid command")


async def test_the_home_tab_shows_what_the_bot_publishes(open_page, playground):
    clicks: list[str] = []

    @playground.bolt.action("playground_test_click")
    async def refresh(ack, body):
        await ack()
        clicks.append(body["container"]["type"] + ":" + body["view"]["type"])

    page = await open_page(SAM)
    await page.click("[data-conversation=home]")
    await expect(page.locator("#where")).to_have_text("csp-bot — Home")
    opened = [a for m, a in playground.api.calls if m == "views.publish"]
    if opened:  # the bot answers app_home_opened: its own Home tab is what Sam sees
        await expect(page.locator(".home-view")).to_have_attribute(
            "data-view-id", playground.workspace.home[SAM])
    else:
        await expect(page.locator(".empty-conversation")).to_contain_text(
            "has not published a Home tab")

    await playground.runtime.slack.views_publish(user_id=SAM, view={"type": "home", "blocks": [
        {"type": "header", "text": {"type": "plain_text", "text": "Your requests"}},
        {"type": "section", "text": {"type": "mrkdwn", "text": "Hi <@U0SAM>"},
         "accessory": {"type": "button", "action_id": "playground_test_click",
                       "text": {"type": "plain_text", "text": "Refresh"}}},
        {"type": "divider"},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "Nothing pending."}]},
    ]})
    home = page.locator(".home-view")
    await expect(home.get_by_role("heading", name="Your requests")).to_be_visible()  # live
    await expect(home.locator("h3")).to_have_count(1)
    await expect(home).to_contain_text("Hi @Sam")
    await screenshot(page, "home")
    await home.get_by_role("button", name="Refresh").click()
    for _ in range(100):
        if clicks:
            break
        await asyncio.sleep(0.05)
    assert clicks == ["view:home"]
    assert page.js_errors == []


async def test_every_block_type_renders(open_page, playground):
    page = await open_page(ALICE)
    slack = playground.runtime.slack
    posted = {}
    for fixture in MESSAGE_FIXTURES:
        answer = await slack.chat_postMessage(
            channel=STAFF, text=f"fixture {fixture.name}", blocks=fixture.blocks or None,
            attachments=fixture.attachments,
        )
        posted[fixture.name] = answer["ts"]
    for fixture in MESSAGE_FIXTURES:
        message = page.locator(f'.message[data-ts="{posted[fixture.name]}"]')
        await expect(message).to_be_visible()
        for selector, text in fixture.expect:
            target = message.locator(selector)
            if text:
                await expect(target).to_contain_text(text)
            else:
                await expect(target).to_be_visible()
        for selector in fixture.absent:
            await expect(message.locator(selector)).to_have_count(0)
    now = int(time.time())
    pretty = await slack.chat_postMessage(channel=STAFF, text="x", blocks=[{
        "type": "context", "elements": [{"type": "mrkdwn", "text": (
            f"<!date^{now}^{{date_short_pretty}}|fallback> · <!date^{now - 7200}^{{ago}}|x>")}]}])
    relative = page.locator(f'.message[data-ts="{pretty["ts"]}"]')
    await expect(relative.locator("time").first).to_have_text("Today")
    await expect(relative.locator("time").last).to_have_text("2 hours ago")
    await page.set_viewport_size({"width": 1280, "height": 2600})  # every fixture in one shot
    await screenshot(page, "blocks")
    assert page.js_errors == []


async def test_a_modal_with_every_input_checks_like_slack_before_sending(open_page, playground):
    submissions: list[dict] = []

    @playground.bolt.view("fixture_form")
    async def submitted(ack, view):
        submissions.append(view["state"]["values"])
        await ack()

    @playground.bolt.options("v")
    async def tenants(ack, body):
        await ack(options=[{"text": {"type": "plain_text", "text": f"{body['value']} Ltd"},
                            "value": body["value"]}])

    page = await open_page(ALICE)
    await playground.runtime.slack.views_open(
        trigger_id=playground.workspace.issue_trigger(ALICE), view=FORM_MODAL)
    modal = page.get_by_role("dialog", name="Every input")
    await expect(modal).to_be_visible()
    await expect(modal.locator("optgroup")).to_have_count(2)
    await expect(modal).to_contain_text("Renews every term")
    await expect(modal.get_by_label("Monthly")).to_be_checked()

    await modal.get_by_role("button", name="Send").click()
    errors = modal.locator(".field-error")
    await expect(errors).to_have_count(5)  # name, seats, email, license, tenant
    await modal.get_by_label("Name").fill("Contoso")
    await modal.get_by_label("Seats").fill("3.5")
    await modal.get_by_label("Email").fill("not-an-email")
    await modal.get_by_role("button", name="Send").click()
    await expect(modal.locator(".block-input", has_text="Seats")).to_contain_text(
        "Please enter a whole number.")
    await expect(modal.locator(".block-input", has_text="Email")).to_contain_text(
        "valid email address")
    await screenshot(page, "modal-errors")
    assert submissions == []

    await modal.get_by_label("Seats").fill("12")
    await modal.get_by_label("Email").fill("it@contoso.example")
    await modal.get_by_label("License").select_option("e5")
    await modal.get_by_label("Tenant").type("cont")
    await modal.get_by_role("option", name="cont Ltd").click()
    await modal.get_by_label("Auto-renew").check()
    await modal.get_by_label("Start").fill("2031-03-04")
    await modal.get_by_role("button", name="Send").click()
    await expect(page.get_by_role("dialog")).to_have_count(0)
    values = submissions[0]
    assert values["name"]["v"]["value"] == "Contoso"
    assert values["seats"]["v"] == {"type": "number_input", "value": "12"}
    assert values["license"]["v"]["selected_option"]["value"] == "e5"
    assert values["tenant"]["v"]["selected_option"]["value"] == "cont"
    assert [o["value"] for o in values["flags"]["v"]["selected_options"]] == ["renew"]
    assert values["term"]["v"]["selected_option"]["value"] == "P1M"
    assert values["start"]["v"] == {"type": "datepicker", "selected_date": "2031-03-04"}
    assert values["note"]["v"]["value"] is None


async def test_request_and_approval_by_another_person(open_page, demo):
    alice = await open_page(ALICE)
    await alice.fill("#composer", "/csp demo")
    await alice.keyboard.press("Enter")
    form = alice.get_by_role("dialog", name="Demo order")
    await expect(form).to_be_visible()
    await form.get_by_label("Tenant").type("nord")
    await form.get_by_role("option", name="nordwind.onmicrosoft.com").click()
    await form.get_by_label("License").select_option("e3")
    await form.get_by_label("Seats").fill("150")
    await form.get_by_label("Monthly").check()
    await form.get_by_label("I have the customer's consent").check()
    await form.get_by_role("button", name="Next").click()
    await expect(form.locator(".block-input", has_text="Seats")).to_contain_text(
        "At most 100 seats can be ordered here.")
    await screenshot(alice, "flow-error")

    await form.get_by_label("Seats").fill("12")
    await form.get_by_role("button", name="Next").click()
    confirm = alice.get_by_role("dialog", name="Confirm order")
    await expect(confirm).to_contain_text("nordwind.onmicrosoft.com")
    await confirm.get_by_role("button", name="Back").click()
    await expect(form.get_by_label("Seats")).to_have_value("12")  # kept across the stack
    await form.get_by_role("button", name="Next").click()
    await confirm.get_by_role("button", name="Confirm").click()
    await expect(alice.get_by_role("dialog")).to_have_count(0)
    card = alice.locator(".message", has_text="12 × e3 for nordwind")
    await expect(card).to_be_visible()

    await card.get_by_role("button", name="Approve").click()  # her own: confirm, then refused
    await alice.get_by_role("alertdialog").get_by_role("button", name="Approve").click()
    await expect(alice.locator(".message.ephemeral").last).to_contain_text(
        "You cannot approve your own order.")

    sam = await open_page(SAM)
    card = sam.locator(".message", has_text="12 × e3 for nordwind")
    await card.get_by_role("button", name="More actions").click()  # the overflow menu
    await card.get_by_role("menuitem", name="Details").click()
    await expect(sam.locator(".message.ephemeral").last).to_contain_text("You chose details.")
    await card.get_by_role("button", name="Approve").click()
    dialog = sam.get_by_role("alertdialog", name="Approve?")
    await expect(dialog).to_contain_text("The order is sent at once.")
    await dialog.get_by_role("button", name="Approve").click()
    await expect(card).to_contain_text("Approved by @Sam")
    await expect(card).to_contain_text("(edited)")
    await expect(alice.locator(".message", has_text="12 × e3")).to_contain_text(
        "Approved by @Sam")  # live on Alice's page too
    await screenshot(sam, "flow-approved")
    assert alice.js_errors == [] and sam.js_errors == []


async def test_a_link_to_a_slack_message_opens_it_in_the_playground(open_page, playground):
    slack = playground.runtime.slack
    card = await slack.chat_postMessage(channel="C0APPROVALS", text="the approval card")
    link = f"https://slack.com/archives/C0APPROVALS/p{card['ts'].replace('.', '')}"
    await slack.chat_postMessage(channel=STAFF, text=f"Waiting for approval: <{link}|card>")
    page = await open_page(ALICE)
    await page.get_by_role("link", name="card").click()
    await expect(page.locator("#where")).to_have_text("#approvals")
    await expect(page.locator(".message.linked")).to_contain_text("the approval card")


async def test_a_views_update_while_typing_keeps_the_text_and_the_caret(
    open_page, demo, playground
):
    page = await open_page(ALICE)
    await page.fill("#composer", "/csp demo")
    await page.keyboard.press("Enter")
    form = page.get_by_role("dialog", name="Demo order")
    note = form.get_by_label("Note")
    await note.click()
    await page.keyboard.type("rush ")
    view = playground.workspace.top_modal(ALICE)
    await playground.runtime.slack.views_update(
        view_id=view["id"], view=demo_flow.form_view(STAFF, seats="7"))
    await expect(form.get_by_label("Seats")).to_have_value("7")  # redrawn
    await page.keyboard.type("please")  # still typing in the same field
    await expect(note).to_have_value("rush please")


async def test_the_composer_completes_a_mention_as_slack_sends_it(open_page, playground):
    """The help's `/csp roles grant @sam support` works as typed: picking `@sam` (or typing it
    in full) sends `<@U0SAM>`, the way Slack's composer sends a mention."""
    ada = "U0ADA"
    page = await open_page(ada)
    await page.fill("#composer", "/csp roles grant @sa")
    suggestions = page.locator("#command-suggestions")
    await expect(suggestions.locator(".command-name")).to_have_text(["@sam"])
    await page.keyboard.press("Tab")
    await expect(page.locator("#composer")).to_have_value("/csp roles grant <@U0SAM> ")
    await page.locator("#composer").type("admin")
    await page.keyboard.press("Enter")
    await expect(page.locator(".message.ephemeral").last).to_contain_text(
        "@Sam now has the admin role")

    await page.fill("#composer", "/csp roles revoke @sam admin")  # typed in full
    await page.locator("#composer").press("Escape")
    await page.keyboard.press("Enter")
    await expect(page.locator(".message.ephemeral").last).to_contain_text(
        "@Sam no longer has the admin role")
    assert page.js_errors == []


async def test_the_composer_suggestions_show_no_code_marks(open_page, playground):
    page = await open_page(ALICE)
    await page.fill("#composer", "/csp requests")
    summary = page.locator("#command-suggestions .command-summary").first
    await expect(summary).to_contain_text("Your requests (mine)")
    assert "`" not in await summary.inner_text()

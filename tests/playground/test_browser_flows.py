"""The real flows, tried in the playground's page as people would: open the command, fill the
modal, review, confirm, and watch the status card (and, where needed, approve as someone else).

Each test skips with "flow not registered yet" while the bot's router has no such subcommand.
The cache is synced from the sandbox first and the worker is run by the test (no sleeps).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.playground.conftest import ALICE, APPROVALS, SAM, screenshot

pytestmark = pytest.mark.browser

NORDWIND_E3 = 480101  # 12 seats of Office 365 E3 in the sandbox's seeded world
NORDWIND_BASIC = 480103  # 25 seats, added two days ago: inside the cancellation window


def expect(locator):
    from playwright.async_api import expect as playwright_expect

    return playwright_expect(locator)


@pytest.fixture
async def flows(playground):
    """The playground with its cache synced from the sandbox, as at a real start-up."""
    syncer = getattr(playground.runtime, "syncer", None)
    if syncer is not None:
        await syncer.sync_all()
    return playground


def needs(playground, subcommand: str) -> None:
    if subcommand not in {e.name for e in playground.bolt.router.entries}:
        pytest.skip("flow not registered yet")


async def settle(playground, passes: int = 10) -> None:
    """Runs the worker until a pass does nothing, and lets the notifications go out."""
    runtime = playground.runtime
    for _ in range(passes):
        report = await runtime.worker.run_once()
        await runtime.notifier.settle()
        if not report:
            break


async def run(page, text: str) -> None:
    await page.fill("#composer", text)
    await page.keyboard.press("Escape")  # close the suggestions; send what was typed
    await page.click(".composer-send")


async def answered(page) -> None:
    """Waits until the bot has answered the page's last click or choice (e.g. a views.update
    after a select with dispatch_action), as a person waits for the modal to redraw."""
    await expect(page.locator("body.acting")).to_have_count(0)


def modal(page, callback_id: str):
    return page.locator(f'.modal[data-callback-id="{callback_id}"]')


async def confirm_pushed(page) -> None:
    """The generic confirmation view: read, then Confirm; the whole stack closes."""
    confirmation = modal(page, "pipeline_confirm")
    await expect(confirmation).to_be_visible()
    await confirmation.get_by_role("button", name="Confirm", exact=True).click()
    await expect(page.get_by_role("dialog")).to_have_count(0)


async def test_order(open_page, flows):
    needs(flows, "order")
    page = await open_page(ALICE)
    await run(page, "/csp order nordwind")
    form = page.get_by_role("dialog")
    await expect(form).to_contain_text("Nordwind")
    await form.get_by_label("License", exact=True).select_option(label="Office 365 E3")
    await answered(page)
    await form.get_by_label("Quantity").fill("5")
    await screenshot(page, "flow-order-form")
    await form.get_by_role("button", name="Review order").click()
    confirmation = modal(page, "pipeline_confirm")
    await expect(confirmation).to_contain_text("5 × Office 365 E3")
    await confirm_pushed(page)
    card = page.locator(".message:not(.ephemeral)", has_text="Order").last
    await expect(card).to_contain_text("Queued")
    await settle(flows)
    await expect(card).to_contain_text("Done")
    await screenshot(page, "flow-order-done")
    assert page.js_errors == []


async def test_seat_change(open_page, flows):
    needs(flows, "seats")
    page = await open_page(ALICE)
    await run(page, f"/csp seats nordwind {NORDWIND_E3} 15")
    form = page.get_by_role("dialog", name="Change seats")
    await expect(form.get_by_label("New total of seats")).to_have_value("15")
    await form.get_by_role("button", name="Review").click()
    confirmation = modal(page, "pipeline_confirm")
    await expect(confirmation).to_contain_text("12 → 15")
    await screenshot(page, "flow-seats-confirm")
    await confirm_pushed(page)
    card = page.locator(".message:not(.ephemeral)", has_text="Seat change").last
    await expect(card).to_contain_text("Queued")
    await settle(flows)
    await expect(card).to_contain_text("Done")
    assert page.js_errors == []


async def test_cancellation_approved_by_another_person(open_page, flows):
    needs(flows, "cancel")
    alice = await open_page(ALICE)
    await run(alice, f"/csp cancel nordwind {NORDWIND_BASIC}")
    form = alice.get_by_role("dialog", name="Cancel a subscription")
    await form.get_by_label("Reason").select_option("not_needed")
    await form.get_by_label("Details for the approver").fill("The interns left.")
    await form.get_by_role("button", name="Review").click()
    await expect(modal(alice, "pipeline_confirm")).to_contain_text("All 25 licenses")
    await confirm_pushed(alice)
    status = alice.locator(".message:not(.ephemeral)", has_text="Cancellation").last
    await expect(status).to_contain_text("Waiting for a support agent")

    sam = await open_page(SAM, where=APPROVALS)
    card = sam.locator(".message", has_text="Cancellation").last
    await card.get_by_role("button", name="Approve").click()
    await sam.get_by_role("alertdialog").get_by_role("button", name="Approve").click()
    await expect(card).to_contain_text("Approved by")
    await screenshot(sam, "flow-cancel-approved")
    await settle(flows)
    await expect(status).to_contain_text("Done")
    assert alice.js_errors == [] and sam.js_errors == []


async def test_refund_ticket(open_page, flows):
    needs(flows, "refund")
    alice = await open_page(ALICE)
    await run(alice, "/csp refund contoso.onmicrosoft.com 7f3c9a12-5e4d")
    form = alice.get_by_role("dialog", name="Refund ticket")
    await expect(form.get_by_label("Order ID or subscription ID")).to_have_value("7f3c9a12-5e4d")
    bought = (datetime.now(UTC) - timedelta(days=5)).date().isoformat()
    await form.get_by_label("What was bought").select_option("perpetual")
    await form.get_by_label("Purchase date").fill(bought)
    await form.get_by_label("Reason for the refund").select_option("wrong_product")
    await form.get_by_label("Explain the reason").fill("Standard instead of Professional.")
    await form.get_by_label("Amount requested").fill("249.90")
    await form.get_by_label("Impact").select_option("moderate")
    await form.get_by_label("Title").fill("Refund Office LTSC Standard 2024")
    await form.get_by_label("Contact name").fill("Alice Jansen")
    await form.get_by_label("Contact email").fill("alice@reseller.example")
    await form.get_by_label("Contact phone").fill("+31 10 234 5678")
    await screenshot(alice, "flow-refund-form")
    await form.get_by_role("button", name="Review").click()
    review = alice.get_by_role("dialog", name="Confirm refund ticket")
    await expect(review).to_contain_text("249.90 EUR")
    await review.get_by_role("button", name="Confirm", exact=True).click()
    await expect(alice.get_by_role("dialog")).to_have_count(0)
    await settle(flows)
    status = alice.locator(".message:not(.ephemeral)", has_text="Refund ticket").last
    await expect(status).to_contain_text("Waiting for a support agent")

    sam = await open_page(SAM, where=APPROVALS)
    card = sam.locator(".message", has_text="Refund ticket").last
    await card.get_by_role("button", name="Approve").click()
    await sam.get_by_role("alertdialog").get_by_role("button", name="Approve").click()
    await expect(card).to_contain_text("Approved by")
    await screenshot(sam, "flow-refund-approved")
    assert alice.js_errors == [] and sam.js_errors == []

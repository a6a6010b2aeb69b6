"""The playground's language switcher, beside its user switcher: it gives the shown person a
Slack language; the page's own words follow, and so does the bot (told by `user_change`)."""

from __future__ import annotations

import json

import pytest

from tests.playground.conftest import ALICE, SAM


async def test_the_switcher_changes_the_page_and_what_the_bot_says(page_client):
    snap = await page_client.post("language", user=ALICE, language="nl")
    assert snap["language"] == "nl" and snap["me"]["locale"] == "nl-NL"
    assert snap["chrome"]["you_are"] == "U bent:"
    assert {"code": "fr", "name": "Français"} in snap["languages"]
    await page_client.command("/csp help")
    shown = json.dumps((await page_client.state())["messages"], ensure_ascii=False)
    assert "csp-bot: Microsoft 365-licenties via OVHcloud" in shown
    assert "Het aantal licenties van een abonnement wijzigen." in shown
    sam = await page_client.state(SAM)  # everyone else keeps their own language
    assert sam["language"] == "en" and sam["chrome"]["you_are"] == "You are:"


async def test_an_unknown_language_is_refused(page_client):
    with pytest.raises(AssertionError, match="400"):
        await page_client.post("language", user=ALICE, language="klingon")


def expect(locator):
    from playwright.async_api import expect as playwright_expect

    return playwright_expect(locator)


@pytest.mark.browser
async def test_switching_the_language_in_the_browser(open_page):
    page = await open_page(ALICE)
    await expect(page.locator(".you-are")).to_have_text("You are:")
    await page.select_option("#language", "de")
    await expect(page.locator(".you-are")).to_have_text("Sie sind:")
    await expect(page.locator("#banner")).to_contain_text("Lokale Spielwiese")
    await expect(page.locator("html")).to_have_attribute("lang", "de")
    await page.fill("#composer", "/csp help")
    await page.keyboard.press("Escape")
    await page.click(".composer-send")
    answer = page.locator(".message.ephemeral").last
    await expect(answer.locator("h3")).to_have_text(
        "csp-bot: Microsoft 365-Lizenzen über OVHcloud")
    await expect(answer).to_contain_text("Diese Liste anzeigen.")
    await expect(answer).to_contain_text("Nur für Sie sichtbar")
    await page.click("[data-user=U0SAM]")  # Sam reads the page in English
    await expect(page.locator(".you-are")).to_have_text("You are:")
    await expect(page.locator("#language")).to_have_value("en")
    assert page.js_errors == []

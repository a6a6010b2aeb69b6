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


#: Words a language writes as English does (Slack's own Dutch and German say "Apps", ...).
SAME_AS_ENGLISH = {
    "nl": {"apps"},
    "de": {"apps", "channels"},
    "pt": set(),
    "it": {"home_title"},
    "fr": {"conversations", "message"},
}
#: The page's scripts that draw its chrome.
CHROME_SCRIPTS = ("modal.js", "elements.js", "dom.js", "messages.js", "mrkdwn.js", "blocks.js",
                  "composer.js", "app.js")


def test_every_word_of_the_page_chrome_is_in_every_language():
    from bot.i18n import LANGUAGES
    from playground.chrome import CHROME, chrome_texts

    english = chrome_texts("en")
    for language in LANGUAGES[1:]:
        shown = chrome_texts(language)
        assert shown.keys() == CHROME.keys()
        left = {key for key, text in shown.items() if text == english[key]}
        assert left == SAME_AS_ENGLISH[language], language


def test_the_page_asks_only_for_words_the_chrome_has():
    import re
    from pathlib import Path

    from playground.chrome import CHROME

    static = Path(__file__).parents[2] / "playground" / "static"
    asked = set(re.findall(r'data-i18n(?:-label|-title)?="([a-z_]+)"',
                           (static / "index.html").read_text(encoding="utf-8")))
    for script in static.glob("*.js"):
        asked |= set(re.findall(r'\bt\("([a-z_]+)"', script.read_text(encoding="utf-8")))
    assert asked and asked <= CHROME.keys(), sorted(asked - CHROME.keys())
    for name in CHROME_SCRIPTS:  # no English sentence or label written into the scripts
        text = (static / name).read_text(encoding="utf-8")
        code = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("//"))
        assert not re.findall(r'"[A-Z][a-z]+(?: [a-zA-Z]+)+[.?…]?"', code), name


async def test_a_dutch_page_shows_no_english_chrome(page_client):
    from playground.chrome import chrome_texts

    snap = await page_client.post("language", user=ALICE, language="nl")
    english = chrome_texts("en")
    left = {key for key, text in snap["chrome"].items() if text == english[key]}
    assert left == SAME_AS_ENGLISH["nl"]
    assert snap["chrome"]["required_field"] == "Vul dit verplichte veld in."
    assert snap["chrome"]["number_at_least"] == "Voer een getal van ten minste {n} in."


@pytest.mark.browser
async def test_a_dutch_page_checks_modals_and_writes_dates_in_dutch(open_page, playground):
    import time

    from tests.playground.conftest import STAFF
    from tests.playground.render_fixtures import FORM_MODAL

    page = await open_page(ALICE)
    await page.select_option("#language", "nl")
    await expect(page.locator(".you-are")).to_have_text("U bent:")
    await expect(page.locator(".composer-send")).to_have_text("Verzenden")
    await page.fill("#composer", "/giphy hallo")
    await page.click(".composer-send")
    await expect(page.locator(".composer-error")).to_have_text(
        "/giphy is geen geldige opdracht. In deze speeltuin is /csp dat wel.")
    slack = playground.runtime.slack
    now = int(time.time())
    posted = await slack.chat_postMessage(channel=STAFF, text="x", blocks=[{
        "type": "context", "elements": [{"type": "mrkdwn", "text": (
            f"<!date^{now}^{{date_short_pretty}}|fallback> · <!date^{now - 7200}^{{ago}}|x>")}]}])
    dates = page.locator(f'.message[data-ts="{posted["ts"]}"] time')
    await expect(dates.first).to_have_text("Vandaag")
    await expect(dates.last).to_have_text("2 uur geleden")
    await slack.views_open(trigger_id=playground.workspace.issue_trigger(ALICE), view=FORM_MODAL)
    modal = page.get_by_role("dialog", name="Every input")
    await modal.get_by_label("Seats").fill("3.5")
    await modal.get_by_role("button", name="Send").click()
    await expect(modal.locator(".block-input", has_text="Name")).to_contain_text(
        "Vul dit verplichte veld in.")
    await expect(modal.locator(".block-input", has_text="Seats")).to_contain_text(
        "Voer een geheel getal in.")
    assert page.js_errors == []

"""The refund form opens in the person's language: its title, its choices (what was bought,
why, the impact) and, once the form's view is in the catalogues, every label."""

from __future__ import annotations

import pytest

from bot.catalogs import TRANSLATED
from bot.ids import RefundBlock as B
from bot.refund_form import Impact, RefundProduct, RefundReason
from tests.conftest import ALICE, BOB
from tests.flows.conftest import open_modal

PEOPLE = {"nl": "nl-NL", "de": "de-DE", "pt": "pt-PT", "it": "it-IT", "fr": "fr-FR"}
TITLE = {
    "nl": "Terugbetalingsverzoek",
    "de": "Erstattungsantrag",
    "pt": "Pedido de reembolso",
    "it": "Richiesta di rimborso",
    "fr": "Demande de remboursement",
}
#: one choice of each select, as the person reads it
PRODUCT = {
    "nl": "Abonnement op basis van licenties",
    "de": "Lizenzbasiertes Abonnement",
    "pt": "Subscrição baseada em licenças",
    "it": "Abbonamento basato su licenze",
    "fr": "Abonnement basé sur des licences",
}
REASON = {
    "nl": "Per vergissing besteld",
    "de": "Versehentlich bestellt",
    "pt": "Encomendado por engano",
    "it": "Ordinato per errore",
    "fr": "Commandé par erreur",
}
IMPACT = {
    "nl": "Kritiek: de klant kan niet verder",
    "de": "Kritisch: der Kunde ist blockiert",
    "pt": "Crítico: o cliente está bloqueado",
    "it": "Critico: il cliente è bloccato",
    "fr": "Critique : le client est bloqué",
}
ENGLISH_CHOICES = {
    "Perpetual software", "Software subscription", "License-based subscription",
    "Ordered by mistake", "Wrong product or edition", "Wrong quantity", "Duplicate order",
    "Customer cancelled the purchase", "Key or download never delivered",
    "Other (explain below)", "Minimal: no business impact",
    "Moderate: the customer is affected", "Critical: the customer is blocked",
}


def options_of(view: dict, block_id: str) -> dict[str, str]:
    block = next(b for b in view["blocks"] if b.get("block_id") == block_id)
    return {o["value"]: o["text"]["text"] for o in block["element"]["options"]}


async def open_refund_form(slack, emulator, bot, language: str, user: str = ALICE) -> dict:
    emulator.users[user] = {"id": user, "name": user.lower(),
                            "locale": PEOPLE.get(language, "en-GB"),
                            "tz": "Europe/Amsterdam", "is_bot": False}
    await slack.command("help", user=user)  # Slack's locale is read in the background
    await bot.runtime.locales.settle()
    return await open_modal(slack, emulator, "/csp refund", user=user)


@pytest.mark.parametrize("language", list(PEOPLE))
async def test_the_refund_form_opens_in_the_persons_language(language, slack, emulator, bot):
    form = await open_refund_form(slack, emulator, bot, language)
    assert form["title"]["text"] == TITLE[language]
    products = options_of(form, B.PRODUCT)
    reasons = options_of(form, B.REASON)
    impacts = options_of(form, B.IMPACT)
    assert products[RefundProduct.LICENSE] == PRODUCT[language]
    assert reasons[RefundReason.ORDERED_BY_MISTAKE] == REASON[language]
    assert impacts[Impact.CRITICAL] == IMPACT[language]
    shown = {*products.values(), *reasons.values(), *impacts.values()}
    assert len(shown) == len(RefundProduct) + len(RefundReason) + len(Impact)
    assert not shown & ENGLISH_CHOICES  # no choice left in English


def labels_of(view: dict) -> dict[str, str]:
    return {b["block_id"]: b["label"]["text"] for b in view["blocks"] if b.get("type") == "input"}


@pytest.mark.parametrize("language", list(PEOPLE))
async def test_every_label_of_the_refund_form_is_in_the_persons_language(
        language, slack, emulator, bot):
    if "bot/views/refunds.py" not in TRANSLATED:
        pytest.skip("the refund form's view is not in the catalogues yet")
    english = labels_of(await open_refund_form(slack, emulator, bot, "en", user=BOB))
    shown = labels_of(await open_refund_form(slack, emulator, bot, language))
    assert shown.keys() == english.keys()
    assert not [block for block, label in shown.items() if label == english[block]]

"""A refund ticket reads in the person's language (nl, de, pt, it, fr): the confirmation they
review (its rows, the amount and the date written their way, the refund window) and the list of
their tickets."""

from __future__ import annotations

import pytest

from bot.core.ids import RefundBlock as B
from tests.conftest import ALICE
from tests.flows.test_refunds import form_values, settle
from tests.i18n.test_refund_form_languages import open_refund_form
from tests.slack_emulator import blocks_text

#: what the person types in the amount field, and what each part of the ticket reads
EXPECTED = {
    "nl": {
        "typed": "1.234,50",
        "title": "Verzoek bevestigen",
        "words": ("Gevraagd bedrag", "€\u00a01.234,50", "Gekocht op", "Contactpersoon",
                  "Eeuwigdurende software", "20 okt 2026"),
        "list": ("Uw terugbetalingsverzoeken", "€\u00a01.234,50", "door <@"),
    },
    "de": {
        "typed": "1.234,50",
        "title": "Antrag bestätigen",
        "words": ("Beantragter Betrag", "1.234,50\u00a0€", "Gekauft am", "Produkt", "Kontakt",
                  "Unbefristete Software", "20.10.2026"),
        "list": ("Ihre Erstattungsanträge", "1.234,50\u00a0€", "von <@"),
    },
    "fr": {
        "typed": "1234,50",
        "title": "Confirmer la demande",
        "words": ("Montant demandé", "1\u202f234,50\u00a0€", "Acheté le", "Produit",
                  "Logiciel perpétuel", "20 oct. 2026"),
        "list": ("Vos demandes de remboursement", "1\u202f234,50\u00a0€", "par <@"),
    },
    "it": {
        "typed": "1.234,50",
        "title": "Conferma rimborso",
        "words": ("Importo richiesto", "1.234,50\u00a0€", "Acquistato il", "Prodotto",
                  "Contatto", "Software perpetuo", "20 ott 2026"),
        "list": ("Le tue richieste di rimborso", "1.234,50\u00a0€", "di <@"),
    },
    "pt": {
        "typed": "1234,50",
        "title": "Confirmar reembolso",
        "words": ("Montante pedido", "1\u00a0234,50\u00a0€", "Comprado em", "Produto", "Contacto",
                  "Software perpétuo", "20/10/2026"),
        "list": ("Os seus pedidos de reembolso", "1\u00a0234,50\u00a0€", "por <@"),
    },
}
ENGLISH = ("Amount requested", "Purchased on", "1,234.50 EUR", "20 Oct 2026", "Your refund tickets",
           " old ")


@pytest.mark.parametrize("language", list(EXPECTED))
async def test_a_refund_ticket_reads_in_the_persons_language(
        language, slack, emulator, bot):
    expected = EXPECTED[language]
    form = await open_refund_form(slack, emulator, bot, language)
    review = await slack.submit(form, form_values(**{B.AMOUNT: expected["typed"]}), user=ALICE)
    assert review.view is not None, review.body
    assert review.view["title"]["text"] == expected["title"]
    confirmation = blocks_text(review.view["blocks"])
    for words in expected["words"]:
        assert words in confirmation, words
    assert not [w for w in ENGLISH if w in confirmation]

    assert (await slack.submit(review.view, user=ALICE)).json == {"response_action": "clear"}
    await settle(bot)
    mine = await slack.command("refunds mine", user=ALICE)
    for words in expected["list"]:
        assert words in mine.text, words
    assert not [w for w in ENGLISH if w in mine.text]

"""An order in each language, end to end through the Slack emulator: a person whose Slack
locale is de-DE (or nl-NL, pt-PT, it-IT, fr-FR) opens the order modal in their words, is told
in their words what is wrong with a quantity, and confirms an order whose prices are written
their way."""

from __future__ import annotations

import pytest

from bot.core.ids import BlockId
from bot.orders.form import LineField, line_block
from bot.provider.sandbox_data import NORDWIND, OFFICE_E3
from tests.conftest import ALICE
from tests.flows.conftest import open_modal
from tests.i18n.people import speaks
from tests.i18n.test_flows_per_language import NBSP, PEOPLE
from tests.slack_emulator import blocks_text

LICENSE, QUANTITY = line_block(LineField.LICENSE, "1"), line_block(LineField.QUANTITY, "1")

#: the modal: its submit button, and the note's hint
MODAL = {
    "nl": ("Bestelling controleren", "Wordt bij het verzoek bewaard; wie goedkeurt, ziet het."),
    "de": ("Bestellung prüfen", "Wird mit der Anfrage gespeichert; wer genehmigt, sieht sie."),
    "pt": ("Rever encomenda", "Fica guardada com o pedido; quem aprova vê-a."),
    "it": ("Rivedi ordine", "Resta con la richiesta; chi approva la vede."),
    "fr": ("Vérifier la commande", "Conservée avec la demande ; les approbateurs la voient."),
}
#: a quantity that is not a whole number
NOT_WHOLE = {
    "nl": "Vul het aantal in als geheel getal, bijv. 5.",
    "de": "Geben Sie die Anzahl als ganze Zahl ein, z. B. 5.",
    "pt": "Indique a quantidade como número inteiro, p. ex. 5.",
    "it": "Inserisci la quantità come numero intero, es. 5.",
    "fr": "Saisissez la quantité sous forme de nombre entier, par exemple 5.",
}
#: 5 × Office 365 E3 at 22.00 EUR a seat: the confirmation's title, its line and its total
CONFIRMATION = {
    "nl": ("Bestelling bevestigen",
           f"€{NBSP}22,00 per licentie · €{NBSP}110,00 per maand", "Totaal per maand"),
    "de": ("Bestellung bestätigen",
           f"22,00{NBSP}€ pro Lizenz · 110,00{NBSP}€ pro Monat", "Summe pro Monat"),
    "pt": ("Confirmar encomenda",
           f"22,00{NBSP}€ por licença · 110,00{NBSP}€ por mês", "Total mensal"),
    "it": ("Conferma ordine",
           f"22,00{NBSP}€ per licenza · 110,00{NBSP}€ al mese", "Totale mensile"),
    "fr": ("Confirmer la commande",
           f"22,00{NBSP}€ par licence · 110,00{NBSP}€ par mois", "Total mensuel"),
}


@pytest.fixture
async def synced(bot):
    await bot.runtime.syncer.run_once()


@pytest.mark.parametrize("language", list(PEOPLE))
async def test_an_order_in_the_persons_language(language, slack, emulator, bot, synced):
    locale, zone = PEOPLE[language]
    await speaks(bot, slack, emulator, locale, zone)

    modal = await open_modal(slack, emulator, "/csp order nordwind", user=ALICE)
    submit, hint = MODAL[language]
    assert modal["submit"]["text"] == submit
    assert hint in str(modal["blocks"])
    assert "Review order" not in str(modal)

    wrong = await slack.submit(
        modal, {BlockId.TENANT: NORDWIND, LICENSE: OFFICE_E3, QUANTITY: "5,5"}, user=ALICE)
    assert wrong.json["response_action"] == "errors", wrong.body
    assert wrong.json["errors"][QUANTITY] == NOT_WHOLE[language]

    reply = await slack.submit(
        modal, {BlockId.TENANT: NORDWIND, LICENSE: OFFICE_E3, QUANTITY: "5"}, user=ALICE)
    assert reply.view is not None, reply.body
    title, prices, total = CONFIRMATION[language]
    shown = blocks_text(reply.view["blocks"])
    assert reply.view["title"]["text"] == title
    assert "5 × Office 365 E3" in shown and prices in shown and total in shown
    assert "per license" not in shown and "What happens next" not in shown


#: what the form says of an empty group: words made at import, translated when shown
NO_GROUP = {
    "nl": "Kies de licentiegroep.",
    "de": "Wählen Sie die Lizenzgruppe.",
    "pt": "Escolha o grupo de licenças.",
    "it": "Scegli il gruppo di licenze.",
    "fr": "Choisissez le groupe de licences.",
}


@pytest.mark.parametrize("language", list(PEOPLE))
def test_the_words_the_form_keeps_from_import_are_translated_when_shown(language):
    from bot.core.errors import FormErrors
    from bot.core.i18n import using
    from bot.orders.form import OrderMeta, parse_order_form

    with using(language), pytest.raises(FormErrors) as refused:
        parse_order_form({}, OrderMeta())
    assert refused.value.errors[BlockId.TENANT] == NO_GROUP[language]


def test_a_new_groups_late_order_counts_its_days_in_each_language():
    from bot.core.i18n import using
    from bot.orders.delivery import Phase, late_error

    waiting = {"order_id": 231000001, "phase": Phase.WAITING_PAYMENT.value}
    with using("de"):
        assert "Nach 1 Tag wartet sie" in late_error(waiting, 1)
        assert "Bestellung 231000001" in late_error(waiting, 14)
        assert "Nach 14 Tagen wartet sie" in late_error(waiting, 14)
    with using("fr"):
        assert "après 1 jour," in late_error(waiting, 1)
        assert "après 14 jours," in late_error(waiting, 14)
    with using("en"):
        assert "after 1 day." in late_error(waiting, 1)
        assert "after 14 days." in late_error(waiting, 14)

"""Buying software in each language, end to end through the Slack emulator (signed requests
in, the Partner Center sandbox out): the buy modal and its error, the confirmation with the
price book's money, the cancellation window in days and its date token's fallback in the
person's time zone, `/csp software list` with its text fallback, the order's state in words
and the new purchase's window, and the reminder DM before the window closes — in the
person's words and formats."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest

from bot.app.runtime import Runtime
from bot.app.server import Server
from bot.core.ids import SoftwareBlock
from bot.partner_center.sandbox import PartnerCenterSandbox
from bot.partner_center.sandbox_data import BIZTALK, CONTOSO_TENANT
from bot.software.catalogue import Offer
from bot.software.reminders import remind_software_windows
from bot.software.sync import sync_software
from tests.conftest import ALICE, make_settings
from tests.flows.conftest import open_modal, settle
from tests.i18n.people import speaks
from tests.slack_emulator import blocks_text

BIZTALK_ONCE = Offer(BIZTALK, "0002", None, "one_time").value
NBSP, NNBSP = "\u00a0", "\u202f"

PEOPLE = {
    "nl": ("nl-NL", "Europe/Amsterdam"),
    "de": ("de-DE", "Europe/Berlin"),
    "pt": ("pt-PT", "Europe/Lisbon"),
    "it": ("it-IT", "Europe/Rome"),
    "fr": ("fr-FR", "Europe/Paris"),
}


class Seen:
    def __init__(self, title: str, intro: str, quantity_error: str, confirm_title: str,
                 rows: tuple[str, ...], price: str, window: str, deadline: str, listing: str,
                 bought: str, cancellable: str, reminder: str) -> None:
        self.title, self.intro, self.quantity_error = title, intro, quantity_error
        self.confirm_title, self.rows, self.price = confirm_title, rows, price
        self.window, self.deadline, self.listing = window, deadline, listing
        self.bought, self.cancellable, self.reminder = bought, cancellable, reminder


#: 2 × BizTalk at 618.00 EUR from the price book; the clock's 2 Nov 2026, 09:00 UTC + 30 days
SEEN = {
    "nl": Seen("Software kopen", "Eeuwigdurende software en softwareabonnementen",
               "Tussen 1 en 100 voor deze SKU.", "Aankoop bevestigen",
               ("*Klant*", "*Soort*", "Eeuwigdurende software", "*Looptijd*",
                "geen (eeuwigdurend)", "*Factureringscyclus*", "eenmalig", "*Annuleerbaar*"),
               f"€{NBSP}618,00 per stuk, €{NBSP}1.236,00 in totaal (prijslijst)",
               ": 30 dagen na aankoop", "wo 2 dec 2026, 10:00 CET",
               "Software van Contoso Bakery GmbH", "· voltooid · gekocht op", "annuleerbaar tot",
               "De annuleringstermijn van BizTalk Server 2016 Branch voor Contoso Bakery GmbH "
               "eindigt op <!date^"),
    "de": Seen("Software kaufen", "Unbefristete Software und Softwareabonnements",
               "Zwischen 1 und 100 für diese SKU.", "Kauf bestätigen",
               ("*Kunde*", "*Art*", "Unbefristete Software", "*Laufzeit*", "keine (unbefristet)",
                "*Abrechnungszeitraum*", "einmalig", "*Stornierbar*"),
               f"618,00{NBSP}€ pro Stück, 1.236,00{NBSP}€ insgesamt (Preisliste)",
               ": 30 Tage nach dem Kauf", "Mi., 2. Dez. 2026, 10:00 CET",
               "Software von Contoso Bakery GmbH", "· abgeschlossen · gekauft am",
               "stornierbar bis",
               "Die Stornierungsfrist von BizTalk Server 2016 Branch für Contoso Bakery GmbH "
               "endet am <!date^"),
    "pt": Seen("Comprar software", "Software perpétuo e subscrições de software",
               "Entre 1 e 100 para esta SKU.", "Confirmar compra",
               ("*Cliente*", "*Tipo*", "Software perpétuo", "*Prazo*", "nenhum (perpétuo)",
                "*Ciclo de faturação*", "uma única vez", "*Cancelável*"),
               f"618,00{NBSP}€ cada, 1{NBSP}236,00{NBSP}€ no total (tabela de preços)",
               ": 30 dias após a compra", "quarta, 2/12/2026, 09:00 WET",
               "Software de Contoso Bakery GmbH", "· concluída · comprada a", "cancelável até",
               "O prazo de cancelamento de BizTalk Server 2016 Branch para Contoso Bakery GmbH "
               "termina a <!date^"),
    "it": Seen("Acquista software", "Software perpetuo e abbonamenti software",
               "Tra 1 e 100 per questo SKU.", "Conferma l’acquisto",
               ("*Cliente*", "*Tipo*", "Software perpetuo", "*Durata*", "nessuna (perpetuo)",
                "*Ciclo di fatturazione*", "una tantum", "*Annullabile*"),
               f"618,00{NBSP}€ ciascuno, 1.236,00{NBSP}€ in totale (listino prezzi)",
               ": 30 giorni dopo l’acquisto", "mer 2 dic 2026, 10:00 CET",
               "Software di Contoso Bakery GmbH", "· completato · acquistato il",
               "annullabile fino al",
               "La finestra di annullamento di BizTalk Server 2016 Branch per Contoso Bakery "
               "GmbH si chiude il <!date^"),
    "fr": Seen("Acheter un logiciel", "Logiciels perpétuels et abonnements logiciels",
               "Entre 1 et 100 pour cette SKU.", "Confirmer l’achat",
               ("*Client*", "*Type*", "Logiciel perpétuel", "*Durée*", "aucune (perpétuel)",
                "*Cycle de facturation*", "en une fois", "*Annulable*"),
               f"618,00{NBSP}€ l’unité, 1{NNBSP}236,00{NBSP}€ au total (grille tarifaire)",
               f" : 30{NBSP}jours après l’achat", "mer. 2 déc. 2026, 10:00 CET",
               "Logiciels de Contoso Bakery GmbH", "· terminée · achetée le", "annulable jusqu’au",
               "Le délai d’annulation de BizTalk Server 2016 Branch pour Contoso Bakery GmbH "
               "expire le <!date^"),
}
ENGLISH = ("Perpetual software", "none (perpetual)", "Billing cycle", "days after purchase",
           "price book", "Order `", "bought ", "cancellable until", "outside the bot")
DATE_FALLBACK = re.compile(r"<!date\^\d+\^[^|]+\|([^>]+)>")


@pytest.fixture
def settings(emulator, database_url, tmp_path):
    prices = tmp_path / "prices.yaml"
    prices.write_text("currency: EUR\nlicenses:\n  BizTalk Server 2016 Branch: 618.00\n", "utf-8")
    return make_settings(emulator, database_url, csp_price_book=str(prices))


@pytest.fixture
async def bot(settings, sandbox, clock) -> AsyncIterator[Server]:
    """The bot with the in-process Partner Center sandbox, its software cache synced."""
    runtime = Runtime(settings, provider=sandbox, software=PartnerCenterSandbox(clock=clock),
                      clock=clock)
    server = Server(settings, runtime)
    await server.start(background=False)
    try:
        report = await sync_software(runtime)
        assert report.error is None and not report.failed, report
        yield server
    finally:
        await server.stop()


@pytest.mark.parametrize("language", list(PEOPLE))
async def test_buying_software_in_the_persons_language(language, slack, emulator, bot, clock):
    locale, zone = PEOPLE[language]
    seen = SEEN[language]
    await speaks(bot, slack, emulator, locale, zone)

    form = await open_modal(slack, emulator, "/csp software buy contoso", user=ALICE)
    assert form["title"]["text"] == seen.title
    assert seen.intro in blocks_text(form["blocks"])
    values = {SoftwareBlock.CUSTOMER: CONTOSO_TENANT, SoftwareBlock.OFFER: BIZTALK_ONCE}
    refused = await slack.submit(form, {**values, SoftwareBlock.QUANTITY: 101}, user=ALICE)
    assert refused.errors == {SoftwareBlock.QUANTITY: seen.quantity_error}

    reply = await slack.submit(form, {**values, SoftwareBlock.QUANTITY: 2}, user=ALICE)
    assert reply.view is not None, reply.errors
    assert reply.view["title"]["text"] == seen.confirm_title
    confirmation = blocks_text(reply.view["blocks"])
    for said in (*seen.rows, seen.price, seen.window):
        assert said in confirmation, said
    assert seen.deadline in DATE_FALLBACK.findall(confirmation)
    assert not [word for word in ENGLISH if word in confirmation]

    await slack.submit(reply.view, user=ALICE)  # Confirm
    await bot.runtime.notifier.settle()
    await settle(bot.runtime)
    clock.advance(minutes=10)  # Partner Center completes the order
    await settle(bot.runtime)

    listed = await slack.command("software list contoso", user=ALICE)
    assert listed.json["text"] == seen.listing  # the text fallback
    shown = blocks_text(listed.json["blocks"])
    line = next(x for x in shown.split("*BizTalk Server 2016 Branch* × 2")[1:])
    assert seen.bought in line and f"<@{ALICE}>" in line
    assert f"{seen.cancellable} <!date^" in line
    assert seen.deadline in DATE_FALLBACK.findall(line)
    assert not [word for word in ENGLISH if word in shown]

    clock.advance(days=29, hours=12)  # the window closes within the reminder's hours
    assert await remind_software_windows(bot.runtime) == 1
    dm = emulator.messages[f"D{ALICE}"][-1]
    assert dm.text.startswith(seen.reminder), dm.text  # the DM's text fallback
    assert seen.deadline in DATE_FALLBACK.findall(dm.all_text)
    assert "/csp software list" in dm.all_text
    assert not [word for word in (*ENGLISH, "closes", "To cancel it") if word in dm.all_text]

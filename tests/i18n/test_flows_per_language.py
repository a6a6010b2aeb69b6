"""One flow per language, end to end through the Slack emulator: `/csp help` in the person's
language, then a seat change whose confirmation shows money and a deadline in their formats and
their time zone, and a cancellation's confirmation with its refund and window in theirs."""

from __future__ import annotations

import re

import pytest

from bot.core.ids import BlockId, CancelBlock, SeatsBlock, SubscriptionChoiceBlock
from bot.provider.sandbox_data import NORDWIND, NORDWIND_BASIC, NORDWIND_E3
from tests.conftest import ALICE
from tests.flows.conftest import open_modal
from tests.i18n.people import speaks
from tests.slack_emulator import blocks_text

NBSP, NNBSP = "\u00a0", "\u202f"

PEOPLE = {
    "nl": ("nl-NL", "Europe/Amsterdam"),
    "de": ("de-DE", "Europe/Berlin"),
    "pt": ("pt-PT", "Europe/Lisbon"),
    "it": ("it-IT", "Europe/Rome"),
    "fr": ("fr-FR", "Europe/Paris"),
}
HELP = {
    "nl": ("csp-bot: Microsoft 365-licenties via OVHcloud",
           "Het aantal licenties van een abonnement wijzigen."),
    "de": ("csp-bot: Microsoft 365-Lizenzen über OVHcloud",
           "Die Lizenzanzahl eines Abonnements ändern."),
    "pt": ("csp-bot: licenças Microsoft 365 através da OVHcloud",
           "Alterar o número de licenças de uma subscrição."),
    "it": ("csp-bot: licenze Microsoft 365 tramite OVHcloud",
           "Modifica il numero di licenze di un abbonamento."),
    "fr": ("csp-bot : licences Microsoft 365 via OVHcloud",
           "Modifier le nombre de licences d’un abonnement."),
}
#: 3 seats more at 22.00 EUR a seat: the cost line of the confirmation
COST = {
    "nl": f"+€{NBSP}66,00 (€{NBSP}264,00 → €{NBSP}330,00)",
    "de": f"+66,00{NBSP}€ (264,00{NBSP}€ → 330,00{NBSP}€)",
    "pt": f"+66,00{NBSP}€ (264,00{NBSP}€ → 330,00{NBSP}€)",
    "it": f"+66,00{NBSP}€ (264,00{NBSP}€ → 330,00{NBSP}€)",
    "fr": f"+66,00{NBSP}€ (264,00{NBSP}€ → 330,00{NBSP}€)",
}
#: the deadline's fallback text: 7 days after the clock's 2 Nov 2026, 09:00 UTC, in their zone
DEADLINE = {
    "nl": "ma 9 nov 2026, 10:00 CET",
    "de": "Mo., 9. Nov. 2026, 10:00 CET",
    "pt": "segunda, 9/11/2026, 09:00 WET",
    "it": "lun 9 nov 2026, 10:00 CET",
    "fr": "lun. 9 nov. 2026, 10:00 CET",
}


@pytest.fixture
async def synced(bot):
    await bot.runtime.syncer.run_once()


@pytest.mark.parametrize("language", list(PEOPLE))
async def test_help_and_a_seat_change_in_the_persons_language(
        language, slack, emulator, bot, synced):
    locale, zone = PEOPLE[language]
    await speaks(bot, slack, emulator, locale, zone)

    shown = (await slack.command("help", user=ALICE)).text
    header, summary = HELP[language]
    assert header in shown and summary in shown
    assert "Show this list." not in shown  # no English left in the help

    form = await open_modal(slack, emulator, "/csp seats nordwind", user=ALICE)
    values = {BlockId.TENANT: NORDWIND, f"{SubscriptionChoiceBlock.SUBSCRIPTION}.0": NORDWIND_E3,
              SeatsBlock.NEW_TOTAL: 15}
    reply = await slack.submit(form, values, user=ALICE)
    confirmation = blocks_text(reply.view["blocks"])
    assert COST[language] in confirmation
    fallbacks = re.findall(r"<!date\^\d+\^[^|]+\|([^>]+)>", confirmation)
    assert DEADLINE[language] in fallbacks, fallbacks


#: 25 × 5.60 EUR for a month that started 2 days and 3 hours ago: 27 of 30 days come back
REFUND = {
    "nl": f"≈ €{NBSP}126,00 bij goedkeuring op",
    "de": f"≈ 126,00{NBSP}€ bei Genehmigung am",
    "pt": f"≈ 126,00{NBSP}€ se aprovado a",
    "it": f"≈ 126,00{NBSP}€ se approvato il",
    "fr": f"≈ 126,00{NBSP}€ si la demande est approuvée le",
}
WINDOW_CLOSES = {
    "nl": "za 7 nov 2026, 07:00 CET",
    "de": "Sa., 7. Nov. 2026, 07:00 CET",
    "pt": "sábado, 7/11/2026, 06:00 WET",
    "it": "sab 7 nov 2026, 07:00 CET",
    "fr": "sam. 7 nov. 2026, 07:00 CET",
}
#: words of the cancellation's confirmation that only a translation shows
CANCEL_WORDS = {
    "nl": ("*Alle 25 licenties*, direct en definitief", "Geschatte terugbetaling",
           "Annuleringstermijn eindigt", "De klant heeft het niet meer nodig"),
    "de": ("*Alle 25 Lizenzen*, sofort und endgültig", "Geschätzte Erstattung",
           "Der Kunde braucht es nicht mehr"),
    "pt": ("*Todas as 25 licenças*, de imediato e para sempre", "Reembolso estimado",
           "O cliente já não precisa dela"),
    "it": ("*Tutte le 25 licenze*, subito e per sempre", "Rimborso stimato",
           "Il cliente non ne ha più bisogno"),
    "fr": ("*Les 25 licences*, immédiatement et définitivement", "Remboursement estimé",
           "Le client n’en a plus besoin"),
}


@pytest.mark.parametrize("language", list(PEOPLE))
async def test_a_cancellation_reviewed_in_the_persons_language(
        language, slack, emulator, bot, synced):
    locale, zone = PEOPLE[language]
    await speaks(bot, slack, emulator, locale, zone)

    form = await open_modal(slack, emulator, "/csp cancel nordwind 480103", user=ALICE)
    values = {BlockId.TENANT: NORDWIND,
              f"{SubscriptionChoiceBlock.SUBSCRIPTION}.0": NORDWIND_BASIC,
              CancelBlock.REASON: "not_needed", CancelBlock.DETAILS: "Femke: the interns left."}
    reply = await slack.submit(form, values, user=ALICE)
    confirmation = blocks_text(reply.view["blocks"])
    for words in CANCEL_WORDS[language]:
        assert words in confirmation
    assert REFUND[language] in confirmation
    for english in ("What is lost", "Estimated refund", "at once and for good",
                    "A support agent must approve"):
        assert english not in confirmation
    fallbacks = re.findall(r"<!date\^\d+\^[^|]+\|([^>]+)>", confirmation)
    # the window closes 5 days after the clock's 2 Nov 2026, 09:00 UTC, in their zone
    assert WINDOW_CLOSES[language] in fallbacks, fallbacks

"""The daily digest by DM in each requester's language and time zone, while the channel's copy
stays in the workspace's language: seats added through the seat flow, then the digest."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from bot.core.clock import FakeClock
from bot.core.ids import BlockId, SeatsBlock, SubscriptionChoiceBlock
from bot.provider.sandbox_data import NORDWIND, NORDWIND_E3
from bot.terms import digest
from tests.conftest import ALICE, APPROVALS_CHANNEL
from tests.flows.conftest import open_modal, settle
from tests.i18n.people import speaks

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
DATE_FALLBACK = re.compile(r"<!date\^\d+\^[^|]+\|([^>]+)>")

#: 7 seats added on 1 Dec 2026, 10:00 UTC: removable for 7 days
PEOPLE = {
    "nl": ("nl-NL", "Europe/Amsterdam", ":calendar: *Uw termijnen vandaag*",
           "7 licenties Office 365 E3 toegevoegd bij Nordwind Logistics B.V. kunnen nog worden "
           "verwijderd tot", "di 8 dec 2026, 11:00 CET"),
    "de": ("de-DE", "Europe/Berlin", ":calendar: *Ihre Fristen heute*",
           "7 Lizenzen Office 365 E3, hinzugefügt bei Nordwind Logistics B.V., können noch bis",
           "Di., 8. Dez. 2026, 11:00 CET"),
    "pt": ("pt-PT", "Europe/Lisbon", ":calendar: *Os seus prazos de hoje*",
           "7 licenças Office 365 E3 adicionadas em Nordwind Logistics B.V. ainda podem ser "
           "removidas até", "terça, 8/12/2026, 10:00 WET"),
    "it": ("it-IT", "Europe/Rome", ":calendar: *Le tue scadenze di oggi*",
           "7 licenze Office 365 E3 aggiunte in Nordwind Logistics B.V. possono ancora essere "
           "rimosse fino al", "mar 8 dic 2026, 11:00 CET"),
    "fr": ("fr-FR", "Europe/Paris", ":calendar: *Vos délais du jour*",
           "7 licences Office 365 E3 ajoutées chez Nordwind Logistics B.V. peuvent encore être "
           "retirées jusqu’au", "mar. 8 déc. 2026, 11:00 CET"),
}


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
async def synced(bot):
    await bot.runtime.syncer.run_once()


@pytest.mark.parametrize("language", list(PEOPLE))
async def test_the_digest_dm_speaks_the_requesters_language(
        language, slack, emulator, bot, clock, synced):
    locale, zone, title, line, until = PEOPLE[language]
    await speaks(bot, slack, emulator, locale, zone)
    form = await open_modal(slack, emulator, f"/csp seats nordwind {NORDWIND_E3}", user=ALICE)
    values = {BlockId.TENANT: NORDWIND, f"{SubscriptionChoiceBlock.SUBSCRIPTION}.0": NORDWIND_E3,
              SeatsBlock.NEW_TOTAL: 19}
    reply = await slack.submit(form, values, user=ALICE)
    assert reply.view is not None, reply.errors
    await slack.submit(reply.view, user=ALICE)
    await settle(bot.runtime)

    clock.set(datetime(2026, 12, 3, 12, 0, tzinfo=UTC))
    assert await digest.send_digest(bot.runtime) is True
    posted = [m for m in emulator.messages[APPROVALS_CHANNEL] if "Windows today" in m.text]
    assert len(posted) == 1  # the channel's copy, in the workspace's language
    assert "7 Office 365 E3 seats added at Nordwind Logistics B.V." in posted[0].all_text
    (mine,) = [m for m in emulator.messages[f"D{ALICE}"] if title in m.text]
    assert line in mine.text and line in mine.all_text  # the text fallback and the blocks
    assert until in DATE_FALLBACK.findall(mine.all_text)
    assert "seats added" not in mine.all_text

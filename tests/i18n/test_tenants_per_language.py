"""Browsing license groups in each language, end to end through the Slack emulator: a person
whose Slack locale is de-DE (or nl-NL, pt-PT, it-IT, fr-FR) lists the groups with `/csp tenants`
and opens one with `/csp tenant nordwind`, and reads both in their words and formats."""

from __future__ import annotations

import pytest

from tests.conftest import ALICE
from tests.i18n.people import speaks
from tests.i18n.test_flows_per_language import PEOPLE
from tests.slack_emulator import blocks_text

#: `/csp tenants`: the fallback text, Nordwind's row, the MPN issue of Van der Berg
TENANTS = {
    "nl": ("5 licentiegroepen", ":large_green_circle: in gebruik · 5 abonnementen · 90 licenties",
           ":warning: MPN-probleem: `mpnIdNotIndirectReseller`"),
    "de": ("5 Lizenzgruppen", ":large_green_circle: in Betrieb · 5 Abonnements · 90 Lizenzen",
           ":warning: MPN-Problem: `mpnIdNotIndirectReseller`"),
    "pt": ("5 grupos de licenças",
           ":large_green_circle: em serviço · 5 subscrições · 90 licenças",
           ":warning: Problema de MPN: `mpnIdNotIndirectReseller`"),
    "it": ("5 gruppi di licenze", ":large_green_circle: attivo · 5 abbonamenti · 90 licenze",
           ":warning: Problema MPN: `mpnIdNotIndirectReseller`"),
    "fr": ("5 groupes de licences",
           ":large_green_circle: en service · 5 abonnements · 90 licences",
           ":warning: Problème d’identifiant MPN : `mpnIdNotIndirectReseller`"),
}
#: how fresh the answer is: 2 Nov 2026, 09:00 UTC, in their zone
AS_OF = {
    "nl": "Stand van <!date^1793610000^{date_short_pretty} {time}|ma 2 nov 2026, 10:00 CET>",
    "de": "Stand: <!date^1793610000^{date_short_pretty} {time}|Mo., 2. Nov. 2026, 10:00 CET>",
    "pt": "Dados de <!date^1793610000^{date_short_pretty} {time}|segunda, 2/11/2026, 09:00 WET>",
    "it": "Dati al <!date^1793610000^{date_short_pretty} {time}|lun 2 nov 2026, 10:00 CET>",
    "fr": "État au <!date^1793610000^{date_short_pretty} {time}|lun. 2 nov. 2026, 10:00 CET>",
}
#: `/csp tenant nordwind`: the fallback text, fields, a line of its seats and the Edit button
DETAILS = {
    "nl": ("Licentiegroep Nordwind Logistics B.V.",
           ["*Interne naam*\n`csp2-nw7k3q.o365.ovh`", "*Verlenging*\nautomatisch elke 12 maanden",
            "*Verloopt*\n12 jan 2027 (ok)", "*Contactpersoon*\nFemke de Vries"],
           "• Exchange Online (Plan 1): 40 licenties (1 abonnement)", "Bewerken"),
    "de": ("Lizenzgruppe Nordwind Logistics B.V.",
           ["*Interner Name*\n`csp2-nw7k3q.o365.ovh`",
            "*Verlängerung*\nautomatisch für jeweils 12 Monate", "*Läuft ab*\n12.01.2027 (ok)",
            "*Kontakt*\nFemke de Vries"],
           "• Exchange Online (Plan 1): 40 Lizenzen (1 Abonnement)", "Bearbeiten"),
    "pt": ("Grupo de licenças Nordwind Logistics B.V.",
           ["*Nome interno*\n`csp2-nw7k3q.o365.ovh`", "*Renovação*\nautomática a cada 12 meses",
            "*Expira*\n12/01/2027 (ok)", "*Contacto*\nFemke de Vries"],
           "• Exchange Online (Plan 1): 40 licenças (1 subscrição)", "Editar"),
    "it": ("Gruppo di licenze Nordwind Logistics B.V.",
           ["*Nome interno*\n`csp2-nw7k3q.o365.ovh`", "*Rinnovo*\nautomatico ogni 12 mesi",
            "*Scade*\n12 gen 2027 (ok)", "*Contatto*\nFemke de Vries"],
           "• Exchange Online (Plan 1): 40 licenze (1 abbonamento)", "Modifica"),
    "fr": ("Groupe de licences Nordwind Logistics B.V.",
           ["*Nom interne*\n`csp2-nw7k3q.o365.ovh`",
            "*Renouvellement*\nautomatique, par périodes de 12 mois",
            "*Expiration*\n12 janv. 2027 (ok)", "*Contact*\nFemke de Vries"],
           "• Exchange Online (Plan 1) : 40 licences (1 abonnement)", "Modifier"),
}


@pytest.fixture
async def synced(bot):
    await bot.runtime.syncer.run_once()


async def speaking(slack, emulator, bot, language: str) -> None:
    locale, zone = PEOPLE[language]
    await speaks(bot, slack, emulator, locale, zone)


def buttons(blocks: list[dict]) -> list[str]:
    found = []
    for block in blocks:
        for element in block.get("elements", []) if block["type"] == "actions" else []:
            found.append(element.get("text", {}).get("text"))
        if block.get("accessory", {}).get("type") == "button":
            found.append(block["accessory"]["text"]["text"])
    return found


@pytest.mark.parametrize("language", list(PEOPLE))
async def test_the_license_groups_in_the_persons_language(language, slack, emulator, bot,
                                                          synced):
    await speaking(slack, emulator, bot, language)

    reply = await slack.command("tenants", user=ALICE)
    assert reply.status == 200, reply.body
    text, row, issue = TENANTS[language]
    shown = blocks_text(reply.json["blocks"])
    assert reply.json["text"] == text
    assert row in shown and issue in shown and AS_OF[language] in shown
    assert "seats" not in shown and "As of" not in shown and "in service" not in shown


@pytest.mark.parametrize("language", list(PEOPLE))
async def test_a_license_groups_details_in_the_persons_language(language, slack, emulator, bot,
                                                                synced):
    await speaking(slack, emulator, bot, language)

    reply = await slack.command("tenant nordwind", user=ALICE)
    assert reply.status == 200, reply.body
    text, fields, seats, edit = DETAILS[language]
    shown = blocks_text(reply.json["blocks"])
    assert reply.json["text"] == text
    for field in fields:
        assert field in shown, field
    assert seats in shown and AS_OF[language] in shown
    assert edit in buttons(reply.json["blocks"])
    for english in ("*Renewal*", "*Expires*", "Seats per license", "Microsoft's admin portal",
                    "2027-01-12"):
        assert english not in shown, english


#: a page of a long list, its count with the noun in each language's plural
PAGE = {
    "en": "Page 2 of 3 · 35 groups",
    "nl": "Pagina 2 van 3 · 35 groepen",
    "de": "Seite 2 von 3 · 35 Gruppen",
    "pt": "Página 2 de 3 · 35 grupos",
    "it": "Pagina 2 di 3 · 35 gruppi",
    "fr": "Page 2 sur 3 · 35 groupes",
}


@pytest.mark.parametrize("language", list(PAGE))
def test_a_page_counts_its_groups_in_each_language(language):
    from bot.core.i18n import using
    from bot.tenants.browse import BrowseRef, paginate
    from bot.tenants.browse_view import _groups, navigation

    page = paginate(list(range(35)), 1, 15)
    with using(language):
        blocks = navigation(BrowseRef(v="tenants", p=1), page, _groups)
    assert PAGE[language] in str(blocks[0].to_dict())


#: a seat change refused while another request on the subscription awaits approval
WAITING = {
    "en": "Request R7 on subscription 480101 is still awaiting approval: wait for it",
    "nl": "Verzoek R7 voor abonnement 480101 is nog niet klaar "
          "(status: in afwachting van goedkeuring)",
    "de": "Anfrage R7 zum Abonnement 480101 ist noch nicht abgeschlossen "
          "(Status: wartet auf Genehmigung)",
    "pt": "O pedido R7 sobre a subscrição 480101 ainda não terminou "
          "(estado: a aguardar aprovação)",
    "it": "La richiesta R7 sull’abbonamento 480101 non è ancora terminata "
          "(stato: in attesa di approvazione)",
    "fr": "La demande R7 sur l’abonnement 480101 n’est pas encore terminée "
          "(état : en attente d’approbation)",
}


@pytest.mark.parametrize("language", list(WAITING))
def test_a_request_under_way_is_named_by_its_state_in_words(language):
    from datetime import UTC, datetime

    from bot.core.domain import License, Request, RequestKind, RequestState
    from bot.core.i18n import using
    from bot.provider.sandbox_data import NORDWIND, NORDWIND_E3
    from bot.tenants.subscription_choice import SubscriptionFacts, open_request_problem
    from store.cache import CachedSubscription, CachedTenant

    now = datetime(2026, 11, 2, 9, tzinfo=UTC)
    sub = CachedSubscription.model_validate({
        "id": NORDWIND_E3, "licenseId": 10021, "quantity": 12, "status": "ok",
        "serviceName": NORDWIND, "licenseName": "Office 365 E3", "syncedAt": now.isoformat(),
    })
    waiting = Request(id=7, kind=RequestKind.SEATS, state=RequestState.AWAITING_APPROVAL,
                      requester="U0BOB", created_at=now, updated_at=now)
    facts = SubscriptionFacts(CachedTenant(service_name=NORDWIND, synced_at=now), sub,
                              License(id=10021, name="Office 365 E3"),
                              open_requests=(waiting,))
    with using(language):
        problem = open_request_problem(facts)
    assert problem is not None and WAITING[language] in problem
    assert "awaiting_approval" not in problem

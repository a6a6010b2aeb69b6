"""The rules' refusals and notes in each language: Microsoft's windows in days (never "168
hours"), counts with the language's plural forms and numbers, lists with its conjunction, and
a request's state in words."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from bot.core.domain import License, Request, RequestKind, RequestState, Role, Subscription
from bot.core.i18n import using
from bot.policy import seat_change
from bot.policy.approvals import may_decide
from bot.policy.orders import addon_line, order_approval
from bot.reference.pricing import Money

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
WEEK = timedelta(hours=168)
E3 = License(id=10021, name="Office 365 E3")
AUDIO = License(id=10060, name="Teams Audio Conferencing", is_addon=True)
NBSP, NNBSP = "\u00a0", "\u202f"


class Batch:
    def __init__(self, seats: int, added_at: datetime) -> None:
        self.seats, self.added_at = seats, added_at


def sub(quantity: int) -> Subscription:
    return Subscription(id=480101, license_id=10021, quantity=quantity, status="ok",
                        creation_date=datetime(2025, 9, 17, 9, 0, tzinfo=UTC))


#: nothing removable: "within 7 days"; one seat more: the singular; 1,200 seats: the number
WORDS = {
    "en": ("within 7 days of when", "The new seat can", "already has 1,200 seats",
           "480103 and 480104", "1,200 licenses (more than 50) and 1,236.00 EUR a month",
           "(it is withdrawn)"),
    "nl": ("binnen 7 dagen na het toevoegen", "1 nieuwe licentie kan", "heeft al 1.200 licenties",
           "480103 en 480104", f"1.200 licenties (meer dan 50) en €{NBSP}1.236,00 per maand",
           "status: ingetrokken"),
    "de": ("innerhalb einer Frist (7 Tage) ab dem Hinzufügen", "1 neue Lizenz kann",
           "hat bereits 1.200 Lizenzen", "480103 und 480104",
           f"1.200 Lizenzen (mehr als 50) und 1.236,00{NBSP}€ pro Monat", "Status: zurückgezogen"),
    "pt": ("nos 7 dias após terem sido adicionadas", "1 nova licença pode",
           f"já tem 1{NBSP}200 licenças", "480103 e 480104",
           f"1{NBSP}200 licenças (mais de 50) e 1{NBSP}236,00{NBSP}€ por mês", "estado: retirado"),
    "it": ("entro 7 giorni dall’aggiunta", "1 nuova licenza può", "ha già 1.200 licenze",
           "480103 e 480104", f"1.200 licenze (più di 50) e 1.236,00{NBSP}€ al mese",
           "stato: ritirata"),
    "fr": (f"dans les 7{NBSP}jours qui suivent", "1 nouvelle licence peut",
           f"a déjà 1{NNBSP}200 licences", "480103 et 480104",
           f"1{NNBSP}200 licences (plus de 50) et 1{NNBSP}236,00{NBSP}€ par mois",
           "état : retirée"),
}


@pytest.mark.parametrize("language", list(WORDS))
def test_the_rules_speak_the_readers_language(language):
    window, one_more, same, parents, approval, state = WORDS[language]
    with using(language, "Europe/Amsterdam"):
        refused = seat_change(sub(12), E3, [Batch(12, NOW - timedelta(days=8))], 11, NOW, WEEK)
        added = seat_change(sub(12), E3, [], 13, NOW, WEEK)
        unchanged = seat_change(sub(1200), E3, [], 1200, NOW, WEEK)
        addon = addon_line(AUDIO, 480999, {480103, 480104})
        order = order_approval(1200, Money(Decimal("1236"), "EUR"), 0, 50, Decimal(1000))
        request = Request(id=7, kind=RequestKind.SEATS, requester="U1", summary="",
                          state=RequestState.WITHDRAWN, payload={}, created_at=NOW,
                          updated_at=NOW)
        withdrawn = may_decide(request, "U2", {Role.SUPPORT}, NOW)
    assert window in refused.reason and "168" not in refused.reason
    assert one_more in added.notes[0]
    assert same in unchanged.reason
    assert parents in addon.reason
    assert approval in order.notes[0]
    assert state in withdrawn.reason


@pytest.mark.parametrize(("language", "words"), [
    ("en", "1-year term, billed annually"),
    ("nl", "Looptijd van 1 jaar, jaarlijks gefactureerd"),
    ("de", "Laufzeit 1 Jahr, jährliche Abrechnung"),
    ("pt", "Prazo de 1 ano, faturado anualmente"),
    ("it", "Durata di 1 anno, fatturato annualmente"),
    ("fr", "Durée d’un an, facturé annuellement"),
])
def test_a_term_is_said_in_words_not_as_its_code(language, words):
    from bot.policy.terms import BillingCycle, PlanSource, TermLength, TermPlan
    from bot.terms.views import plan_words

    plan = TermPlan(TermLength.P1Y, BillingCycle.ANNUAL, PlanSource.SETTING)
    with using(language):
        assert plan_words(plan) == words

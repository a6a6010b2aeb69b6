"""The refusal "Sorry, {doing} is for {holders}." is one sentence in German only when each
action it names is an infinitive phrase: "Leider dürfen nur Mitarbeitende {doing}."."""

from __future__ import annotations

from bot.core.domain import RequestKind
from bot.core.i18n import _, using
from bot.roles.grants import DRAFTER_ROLE, ROLE_HOLDERS, drafting_words

REFUSAL = ("Sorry, {doing} is for {holders}. An admin of csp-bot can grant the role with "
           "`/csp roles grant @you {role_word}`.")
#: each action's words in the German sentence, for every `doing` the code names
GERMAN = {
    "ordering licenses": "Lizenzen bestellen",
    "changing seats": "die Lizenzanzahl ändern",
    "cancelling subscriptions": "Abonnements kündigen",
    "opening refund tickets": "Erstattungsanträge stellen",
    "editing a license group": "eine Lizenzgruppe bearbeiten",
    "buying software": "Software kaufen",
    "cancelling software": "Software stornieren",
    "looking at licenses": "Lizenzen ansehen",
    "listing refund tickets": "Erstattungsanträge auflisten",
    "managing roles": "Rollen verwalten",
    "seeing software purchases": "Softwarekäufe ansehen",
}


def test_every_drafting_action_is_named_in_the_list() -> None:
    named = set()
    for kind in RequestKind:
        if kind in DRAFTER_ROLE:
            named.add(drafting_words(kind))
    assert named <= set(GERMAN)


def test_the_german_refusal_reads_as_one_sentence_for_every_action() -> None:
    with using("de"):
        for doing, words in GERMAN.items():
            said = _(REFUSAL, doing=_(doing), holders=_(ROLE_HOLDERS[DRAFTER_ROLE[
                RequestKind.ORDER]]), role_word="staff")
            assert said.startswith(f"Leider dürfen nur Mitarbeitende {words}. "), said

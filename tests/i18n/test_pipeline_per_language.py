"""The generic pipeline in each reader's language: a card's words (its steps' states too)
follow the language it is drawn in; the cards in channels and the approval card are in the
workspace's language whoever clicked, and what reaches the requester's DM is in theirs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.core import formats
from bot.core.domain import Request, RequestKind, RequestState, RequestStep, StepAction, StepState
from bot.core.i18n import using
from bot.core.ids import PipelineAction
from bot.pipeline import cards
from tests.conftest import ADA, ALICE, SAM, STAFF_CHANNEL
from tests.flows.conftest import settle
from tests.i18n.people import speaks
from tests.pipeline.scenario import approval_card, confirmed_cancellation, dms, status_card

S = RequestState
NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def _request(**fields) -> Request:
    values = dict(id=42, kind=RequestKind.SEATS, state=S.RUNNING, requester=ALICE,
                  summary="E3 of Nordwind: 12 → 13", tenant="csp2-nw7k3q.o365.ovh",
                  subscription_id=480101, created_at=NOW, updated_at=NOW)
    values.update(fields)
    return Request(**values)


def _steps() -> list[RequestStep]:
    states = (StepState.DONE, StepState.RUNNING, StepState.PENDING)
    return [RequestStep(id=seq, request_id=42, seq=seq, action=StepAction.CHANGE_QUANTITY,
                        params={"quantity": 13}, state=state)
            for seq, state in enumerate(states, start=1)]


#: the steps' lines of the card: (what, its state) for done, running and pending
STEPS = {
    "en": ("Set the total to 13 seats", ("done", "running", "pending")),
    "nl": ("Het totaal op 13 licenties zetten", ("klaar", "bezig", "nog niet verstuurd")),
    "de": ("Die Gesamtzahl auf 13 Lizenzen setzen", ("erledigt", "in Bearbeitung", "ausstehend")),
    "pt": ("Definir o total em 13 licenças", ("concluído", "em curso", "pendente")),
    "it": ("Impostare il totale a 13 licenze", ("completato", "in corso", "in attesa")),
    "fr": ("Porter le total à 13 licences", ("terminée", "en cours", "en attente")),
}


@pytest.mark.parametrize("language", list(STEPS))
def test_a_status_card_names_its_steps_and_their_states_in_its_language(language):
    with using(language):
        card = cards.status_card(_request(), _steps(), NOW)
    text = "\n".join(str(b.to_dict()) for b in card.blocks)
    what, states = STEPS[language]
    for seq, state in enumerate(states, start=1):
        assert f"{seq}. {what} · _{state}_" in text, (state, text)


def test_an_english_card_keeps_its_words():
    card = cards.status_card(_request(), _steps(), NOW)
    text = "\n".join(str(b.to_dict()) for b in card.blocks)
    assert ":white_check_mark: 1. Set the total to 13 seats · _done_" in text
    assert ":white_circle: 3. Set the total to 13 seats · _pending_" in text
    assert card.text == "R42 · E3 of Nordwind: 12 → 13: running"


def test_the_approve_confirmation_is_one_sentence_in_each_language():
    request = _request(state=S.AWAITING_APPROVAL)
    assert cards.approve_consequence(request) == (
        "Only a support agent other than the requester can approve; for anyone else nothing "
        "happens. The change is sent to OVHcloud right away. This cannot be undone.")
    with using("de"):
        assert cards.approve_consequence(request) == (
            "Nur ein anderer Support-Mitarbeiter als der Antragsteller kann genehmigen; für alle "
            "anderen passiert nichts. Die Änderung wird sofort an OVHcloud gesendet. Das lässt "
            "sich nicht rückgängig machen.")


async def test_channel_cards_stay_in_the_workspace_language_and_the_requester_hears_in_theirs(
        bot, slack, emulator):
    await bot.runtime.roles.grant(SAM, "support", by=ADA)
    await speaks(bot, slack, emulator, "fr-FR", "Europe/Paris", ALICE)
    await speaks(bot, slack, emulator, "de-DE", "Europe/Berlin", SAM)

    request = await confirmed_cancellation(bot, slack, emulator)  # confirmed by a French click
    card = status_card(emulator, request)
    assert card.channel == STAFF_CHANNEL
    assert "Waiting for a support agent's decision" in card.all_text
    approval = approval_card(emulator)
    assert "Approve" in approval.all_text and "Approuver" not in approval.all_text

    await slack.action(PipelineAction.APPROVE, value=str(request.id), user=SAM,
                       message=approval)  # a German click
    await bot.runtime.notifier.settle()
    assert "Approved by" in approval.all_text and "Genehmigt" not in approval.all_text
    assert "Queued: about to be sent to OVHcloud" in card.all_text
    news = dms(emulator, ALICE)[-1]
    assert news.text.startswith(":white_check_mark: Votre demande *R1*"), news.text
    assert f"a été approuvée par <@{SAM}>" in news.text

    await settle(bot.runtime)  # the worker sends it
    assert ":white_check_mark: Done" in card.all_text and "_done_" in card.all_text
    assert dms(emulator, ALICE)[-1].text.startswith(":white_check_mark: Votre demande *R1*")
    assert "est terminée" in dms(emulator, ALICE)[-1].text


async def test_a_card_posted_in_the_requesters_dm_is_in_their_language(bot, slack, emulator):
    await bot.runtime.roles.grant(SAM, "support", by=ADA)
    await speaks(bot, slack, emulator, "fr-FR", "Europe/Paris", ALICE)
    emulator.fail("chat.postMessage", "not_in_channel")
    request = await confirmed_cancellation(bot, slack, emulator)
    assert request.card_channel == f"D{ALICE}"
    card = status_card(emulator, request)
    assert "Je ne peux pas publier dans" in card.all_text
    assert "En attente de la décision d’un agent du support" in card.all_text
    assert "Retirer" in card.all_text  # the Withdraw button
    assert "Approve" in approval_card(emulator).all_text  # the approvals channel: English

    await slack.action(PipelineAction.APPROVE, value=str(request.id), user=SAM,
                       message=approval_card(emulator))
    await bot.runtime.notifier.settle()
    assert "En file d’attente" in card.all_text and "Queued" not in card.all_text


def test_a_retry_wait_is_written_the_readers_way():
    wait = timedelta(seconds=30)
    assert formats.seconds(wait) == "30s"  # the worker's English note as before: "retrying in 30s"
    with using("de"):
        assert formats.seconds(wait) == "30 Sek."
    with using("nl"):
        assert formats.seconds(wait) == "30 s"

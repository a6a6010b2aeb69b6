"""Typeahead: the pure ranking, the indexed candidate queries (SQLite and PostgreSQL) against a
brute-force ranking of everything, and the options Slack gets from a modal's select."""

from __future__ import annotations

import random

import pytest

from bot.app.runtime import Runtime
from bot.cache import typeahead
from bot.cache.typeahead import Candidate, rank, score
from bot.core.ids import BlockId, OptionsAction
from bot.provider.sandbox_data import (
    APPS_FOR_BUSINESS,
    BUSINESS_BASIC,
    CONTOSO,
    NORDWIND,
    NORDWIND_BASIC,
    NORDWIND_E3,
    PADARIA,
    PADARIA_BASIC,
    PADARIA_E1,
    PROPLUS_LEGACY,
)
from store import search
from store.search import EXACT, PREFIX, SUBSTRING, WORD, normalize
from tests.conftest import make_settings

# --- the pure ranking ----------------------------------------------------------------------------


def cand(value: str, *texts: str, key: str | None = None) -> Candidate:
    return Candidate(value, texts[0], key or value, tuple(normalize(t) for t in texts))


def test_normalize_drops_case_accents_and_punctuation():
    assert normalize("Padaria Atlântico, Lda.") == "padaria atlantico lda"
    assert normalize("csp2-nw7k3q.o365.ovh") == "csp2 nw7k3q o365 ovh"
    assert normalize("  Straße  ") == "strasse"


def test_best_matches_first_exact_id_prefix_word_prefix_substring():
    candidates = [
        cand("4", "Unibet Holding"),  # substring "bet"
        cand("3", "Alpha Beta"),  # word prefix
        cand("2", "Beta Corp"),  # prefix
        cand("9", "Gamma"),  # no match
        cand("bet", "Zulu", key="bet"),  # exact id
    ]
    assert [c.value for c in rank("bet", candidates)] == ["bet", "2", "3", "4"]
    assert [score(["bet"], c)[0] for c in rank("bet", candidates)] == [
        EXACT,
        PREFIX,
        WORD,
        SUBSTRING,
    ]


def test_ids_match_whole_or_by_prefix_and_ties_go_by_name():
    candidates = [cand("480111", "Zeta"), cand("480101", "Beta"), cand("12480", "Alpha")]
    assert [c.value for c in rank("4801", candidates)] == ["480101", "480111"]
    assert [c.value for c in rank("480", candidates)] == ["480101", "480111"]  # not 12480
    assert [c.value for c in rank("480111", candidates)] == ["480111"]


def test_every_word_must_match_somewhere():
    candidates = [
        cand("1", "Office 365 E3", "Nordwind Logistics"),
        cand("2", "Office 365 E3", "Contoso Bakery"),
        cand("3", "Business Basic", "Nordwind Logistics"),
    ]
    assert [c.value for c in rank("nord e3", candidates)] == ["1"]
    assert [c.value for c in rank("atlantico", [cand("p", "Padaria Atlântico")])] == ["p"]
    assert rank("zzz", candidates) == []


def test_at_most_a_hundred_options_with_labels_slack_accepts():
    candidates = [cand(str(i), f"Group {i:03d} " + "x" * 90) for i in range(150)]
    ranked = rank("group", candidates)
    assert len(ranked) == 100
    options = [typeahead.option(c).to_dict() for c in ranked]
    assert all(len(o["text"]["text"]) <= 75 for o in options)


def test_an_empty_box_lists_by_label():
    ranked = rank("", [cand("b", "Bravo"), cand("a", "Alpha")])
    assert [c.value for c in ranked] == ["a", "b"]


# --- the indexed queries against a brute-force ranking -----------------------------------------


@pytest.fixture
async def runtime(any_database_url, sandbox, clock):
    runtime = Runtime(make_settings(None, any_database_url), provider=sandbox, clock=clock)
    await runtime.start(background=False)
    yield runtime
    await runtime.stop()


async def fill_many(runtime, tenants: int = 60) -> None:
    """Sandbox groups plus synthetic ones (the benchmark's generator), through sync's writes."""
    from bench.typeahead import fill, synthetic_tenants

    await runtime.syncer.run_once()
    await fill(runtime.db, synthetic_tenants(tenants, seed=11))


async def every_hit(runtime) -> dict[str | None, list]:
    """Every cached subscription, all together (None) and by group."""
    by_group: dict[str | None, list] = {None: []}
    async with runtime.db.session() as session:
        for tenant in await search.tenant_candidates(session, [], limit=10**6):
            hits = await search.subscription_candidates(
                session, [], service_name=tenant.service_name
            )
            by_group[tenant.service_name] = hits
            by_group[None] += hits
    return by_group


def brute_force(hits: list, query: str, global_: bool) -> list[Candidate]:
    """Every subscription ranked: what the indexed queries may not miss."""
    candidates = (typeahead.subscription_candidate(h, with_group=global_) for h in hits)
    return rank(query, candidates, limit=len(hits))


async def test_indexed_candidates_never_miss_a_better_match(runtime):
    await fill_many(runtime)
    hits = await every_hit(runtime)
    groups = sorted(g for g in hits if g is not None)
    async with runtime.db.session() as session:
        tenants = await search.tenant_candidates(session, [], limit=10**6)
    rng = random.Random(5)
    probes = [
        "4801",
        "480101",
        "5000012",
        "50001",
        "e3",
        "office",
        "basic",
        "exchange",
        "nord",
        "or",
        "ar",
        "gmbh",
        "quantum",
        "summit lab",
        "alpine e5",
        "atlantico",
        "zzq",
        "lo",
    ]
    for query in probes:
        for group in (None, rng.choice(groups)):
            ours = await typeahead.subscription_options(runtime, query, group)
            best = brute_force(hits[group], query, group is None)
            words = search.words_of(query)
            got = [score(words, _as_candidate(o, best, query, group)) for o in ours]
            assert len(ours) == len(best[:100]), (query, group)
            assert got == [score(words, c) for c in best[:100]], (query, group)
        groups_found = await typeahead.tenant_options(runtime, query)
        every_group = rank(query, map(typeahead.tenant_candidate, tenants), limit=10**6)
        got = [score(words, _as_candidate(o, every_group, query, None)) for o in groups_found]
        assert got == [score(words, c) for c in every_group[:100]], query


async def test_group_candidates_keep_the_best_when_cut_short(runtime):
    await fill_many(runtime)
    async with runtime.db.session() as session:
        everything = await search.tenant_candidates(session, [], limit=10**6)
        for word in ("ar", "o", "lab", "e", "csp2"):
            for limit in (1, 3, 10):
                got = await search.tenant_candidates(session, [word], limit=limit)
                tiers = sorted(
                    t for h in everything if (t := search.text_tier(word, h.search_text))
                )
                assert [search.text_tier(word, h.search_text) for h in got] == tiers[:limit]


def _as_candidate(option, pool: list[Candidate], query, group) -> Candidate:
    found = [c for c in pool if c.value == option.value]
    assert found, f"{query!r} in {group}: {option.value} ({option.text}) is not a match"
    return found[0]


async def test_tenant_and_license_candidates(runtime):
    await runtime.syncer.run_once()
    options = await typeahead.tenant_options(runtime, "bakery")
    assert [o.value for o in options] == [CONTOSO]
    assert options[0].to_dict()["text"]["text"] == "Contoso Bakery GmbH — csp2-cb2m8x.o365.ovh"
    suspended = await typeahead.tenant_options(runtime, "berg")
    assert suspended[0].to_dict()["text"]["text"].endswith("(suspended)")

    orderable = await typeahead.license_options(runtime, "", NORDWIND)
    ids = {int(o.value) for o in orderable}
    assert BUSINESS_BASIC in ids and APPS_FOR_BUSINESS not in ids and PROPLUS_LEGACY not in ids
    every = await typeahead.license_options(runtime, "", NORDWIND, orderable_only=False)
    assert {APPS_FOR_BUSINESS, PROPLUS_LEGACY} <= {int(o.value) for o in every}
    addons = [o.text for o in every if "(add-on)" in o.text]
    assert "Microsoft Teams Audio Conferencing (add-on)" in addons
    anywhere = await typeahead.license_options(runtime, "basic")
    assert [o.value for o in anywhere] == [str(BUSINESS_BASIC)]


# --- through Slack ---------------------------------------------------------------------------


def modal_with_group(service_name: str | None) -> dict:
    """A modal as Slack sends it with a block_suggestion: its state holds the chosen group."""
    values = {}
    if service_name:
        values[BlockId.TENANT] = {
            OptionsAction.TENANT: {
                "type": "external_select",
                "selected_option": {"value": service_name},
            }
        }
    return {
        "id": "V0MODAL",
        "type": "modal",
        "callback_id": "any_flow",
        "state": {"values": values},
        "blocks": [],
    }


async def test_tenant_options_through_slack(slack, bot):
    await bot.runtime.syncer.run_once()
    reply = await slack.suggest(OptionsAction.TENANT, "nord")
    assert reply.status == 200
    [first, *_rest] = reply.json["options"]
    assert first == {
        "text": {
            "type": "plain_text",
            "text": "Nordwind Logistics B.V. — csp2-nw7k3q.o365.ovh",
            "emoji": True,
        },
        "value": NORDWIND,
    }


async def test_subscription_options_follow_the_group_chosen_in_the_modal(slack, bot):
    await bot.runtime.syncer.run_once()
    chosen = await slack.suggest(OptionsAction.SUBSCRIPTION, "", view=modal_with_group(PADARIA))
    assert [o["value"] for o in chosen.json["options"]] == [str(PADARIA_BASIC), str(PADARIA_E1)]
    assert chosen.json["options"][0]["text"]["text"] == (
        f"{PADARIA_BASIC} · Microsoft 365 Business Basic (9 seats)"
    )

    anywhere = await slack.suggest(OptionsAction.SUBSCRIPTION, "basic", view=modal_with_group(None))
    values = [o["value"] for o in anywhere.json["options"]]
    assert str(NORDWIND_BASIC) in values and str(PADARIA_BASIC) in values
    assert (
        "Nordwind Logistics B.V."
        in anywhere.json["options"][values.index(str(NORDWIND_BASIC))]["text"]["text"]
    )

    by_id = await slack.suggest(OptionsAction.SUBSCRIPTION, str(NORDWIND_E3))
    assert by_id.json["options"][0]["value"] == str(NORDWIND_E3)


async def test_license_options_through_slack(slack, bot):
    await bot.runtime.syncer.run_once()
    reply = await slack.suggest(OptionsAction.LICENSE, "business", view=modal_with_group(NORDWIND))
    names = [o["text"]["text"] for o in reply.json["options"]]
    assert names == [
        "Microsoft 365 Business Basic",
        "Microsoft 365 Business Premium",
        "Microsoft 365 Business Standard",
    ]


async def test_options_before_any_sync_are_empty_not_an_error(slack):
    reply = await slack.suggest(OptionsAction.SUBSCRIPTION, "e3")
    assert reply.status == 200 and reply.json["options"] == []


def test_ranking_subscriptions_builds_labels_for_the_best_only_in_rank_order():
    rng = random.Random(3)
    names = ["Office 365 E3", "Business Basic", "Exchange Online (Plan 1)", "Teams Essentials"]
    hits = [
        search.SubscriptionHit(
            id=i, service_name=f"csp2-{i % 7}.o365.ovh", license_id=i % 4,
            license_name=names[i % 4], quantity=i % 30, status="ok",
            display_name=rng.choice(["Nordwind GmbH", "Padaria Lda", None]),
        )
        for i in {rng.choice((1, 12, 123, 4801)) + rng.randint(0, 3000) for _ in range(400)}
    ]
    for query in ("", "1", "12", "480", "e3", "office", "nord e3", "o365", "lda 1", "zzz"):
        for with_group in (True, False):
            expected = rank(query, (typeahead.subscription_candidate(h, with_group=with_group)
                                    for h in hits))
            assert typeahead.rank_subscriptions(query, hits, with_group=with_group) == expected

"""Every provider code the bot shows has words in every language: a label and a sentence that
says what it means and what to do."""

from __future__ import annotations

import pytest

from bot.core.i18n import LANGUAGES, using
from bot.reference.codes import TABLE, CodeKind, explain

EVERY_CODE = [(kind, code) for kind, codes in TABLE.items() for code in codes]


@pytest.mark.parametrize(("kind", "code"), EVERY_CODE)
def test_every_code_reads_in_every_language(kind, code):
    with using("en"):
        english = explain(kind, code)
    assert english.label and english.meaning.endswith(".")
    for language in LANGUAGES[1:]:
        with using(language):
            words = explain(kind, code)
        assert words.meaning != english.meaning, (language, code)


def test_codes_are_matched_however_the_provider_spells_them():
    with using("nl"):
        assert explain(CodeKind.SERVICE_STATE, "unPaid").label == "onbetaald"
        assert explain(CodeKind.SERVICE_STATE, "UNPAID").label == "onbetaald"
        flag = explain(CodeKind.MPN_ISSUE, "mpnIdNotIndirectReseller")
    assert "indirecte reseller" in flag.meaning and "`/csp tenant`" in flag.meaning
    with using("de"):
        assert explain(CodeKind.TENANT_STATE, "inMaintenance").label == "in Wartung"


def test_an_unknown_code_is_shown_escaped_with_a_sentence():
    with using("fr"):
        words = explain(CodeKind.TENANT_STATE, "<!here>frozen")
    assert words.label == "&lt;!here&gt;frozen"
    assert words.meaning == (
        "OVHcloud donne à ce groupe de licences l’état « &lt;!here&gt;frozen », que le bot ne "
        "connaît pas. Consultez-le dans l’espace client OVHcloud.")

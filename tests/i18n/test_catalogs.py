"""The catalogues are complete: every text of the translated modules is translated in every
language, with the same placeholders and as many plural forms as the language has."""

from __future__ import annotations

import ast
import shutil

from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po, write_po

from bot.core import catalogs
from bot.core.i18n import LANGUAGES, catalog_path, translations

TRANSLATING = {"_", "ngettext", "pgettext", "N_"}


def test_every_text_is_translated_in_every_language():
    assert catalogs.problems() == []


def test_every_module_with_texts_is_translated():
    """A module whose texts go through `_()` but that is not in TRANSLATED would be shown in
    English to everyone: each one joins the list (and so the check above)."""
    sources = [*catalogs.ROOT.glob("bot/**/*.py"), *catalogs.ROOT.glob("handlers/*.py"),
               *catalogs.ROOT.glob("playground/**/*.py")]
    left = []
    for path in sources:
        relative = path.relative_to(catalogs.ROOT).as_posix()
        if relative in catalogs.TRANSLATED:
            continue
        texts = list(extract_from_file("python", path, keywords=catalogs.KEYWORDS))
        if texts:
            left.append((relative, len(texts)))
    assert left == []


def test_no_text_is_translated_inside_an_f_string():
    """The extractor does not look inside f-strings: a `_("…")` there is never in the
    catalogues, so it would be shown in English whatever the language."""
    found = []
    for path in [*catalogs.ROOT.glob("bot/**/*.py"), *catalogs.ROOT.glob("handlers/*.py"),
                 *catalogs.ROOT.glob("playground/**/*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.JoinedStr):
                found += [f"{path.relative_to(catalogs.ROOT)}:{call.lineno}"
                          for call in ast.walk(node)
                          if isinstance(call, ast.Call)
                          and getattr(call.func, "id", None) in TRANSLATING]
    assert found == []


def test_the_template_covers_every_subcommand_of_the_help():
    ids = {m.id for m in catalogs.extracted()}
    assert "Change the number of seats of a subscription." in ids
    assert "Show this list." in ids  # N_() in the router


def _broken_copy(tmp_path, monkeypatch, language, change):
    target = tmp_path / language / "LC_MESSAGES" / "messages.po"
    target.parent.mkdir(parents=True)
    shutil.copy(catalog_path(language), target)
    with target.open("rb") as handle:
        catalog = read_po(handle)
    change(catalog)
    with target.open("wb") as handle:
        write_po(handle, catalog)
    monkeypatch.setattr(catalogs, "catalog_path",
                        lambda lang: target if lang == language else catalog_path(lang))


def test_a_missing_or_untranslated_text_fails_the_check(tmp_path, monkeypatch):
    def change(catalog):
        del catalog["Close"]
        catalog["Not done"].string = ""

    _broken_copy(tmp_path, monkeypatch, "de", change)
    found = catalogs.problems(["de"])
    assert any("'Close' is missing" in line for line in found)
    assert any("'Not done' is not translated" in line for line in found)


def test_a_changed_placeholder_or_a_missing_plural_form_fails_the_check(tmp_path, monkeypatch):
    def change(catalog):
        catalog["That is too large: at most {maximum}."].string = "Trop grand : {max}."
        message = catalog["{n} seat"]
        message.string = message.string[:1]
        catalog["Close"].flags.add("fuzzy")

    _broken_copy(tmp_path, monkeypatch, "fr", change)
    found = "\n".join(catalogs.problems(["fr"]))
    assert "placeholders ['max'] instead of ['maximum']" in found
    assert "'{n} seat' is not translated" in found  # a plural form left empty
    assert "'Close' is marked fuzzy" in found


def test_plural_forms_follow_each_language():
    seats = {lang: [translations(lang).ngettext("{n} seat", "{n} seats", n).format(n=n)
                    for n in (0, 1, 2)] for lang in LANGUAGES}
    assert seats["en"] == ["0 seats", "1 seat", "2 seats"]
    assert seats["nl"] == ["0 licenties", "1 licentie", "2 licenties"]
    assert seats["de"] == ["0 Lizenzen", "1 Lizenz", "2 Lizenzen"]
    assert seats["fr"] == ["0 licence", "1 licence", "2 licences"]  # 0 is singular in French
    assert seats["pt"] == ["0 licenças", "1 licença", "2 licenças"]  # Portugal: 0 is plural
    assert seats["it"] == ["0 licenze", "1 licenza", "2 licenze"]

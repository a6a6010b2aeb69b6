"""The message catalogues: which sources are translated, and how their texts are extracted,
merged into each language's `.po`, compiled and checked.

`python -m bot.core.catalogs extract|update|compile|check` (the Makefile's `catalogs-*` targets).
`TRANSLATED` lists the modules whose texts are in the catalogues; a module joins it when its
texts have been translated into every language (the check in `make test` then keeps it so).
Texts of the other modules still go through `_()` and are shown in English until then.

Why not `pybabel extract` over the whole tree: a module listed here must be complete in every
language, and a half-translated surface is worse than an English one.
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_file
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from bot.core.i18n import DOMAIN, LANGUAGES, LOCALE_DIR, SOURCE_LANGUAGE, catalog_path

ROOT = LOCALE_DIR.parent.parent
TEMPLATE = LOCALE_DIR / f"{DOMAIN}.pot"
#: Modules whose every `_()`, `ngettext()` and `N_()` text is in the catalogues.
TRANSLATED: tuple[str, ...] = (
    "bot/core/errors.py",
    "bot/app/slack_app.py",
    "bot/core/numbers.py",
    "bot/core/formats.py",
    "bot/reference/codes.py",
    "bot/core/blocks.py",
    "bot/home/help.py",
    "bot/home/views.py",
    "bot/home/language.py",
    "bot/refunds/form.py",
    "bot/refunds/views.py",
    "bot/refunds/tickets.py",
    "bot/orders/new_group_view.py",
    "bot/seats/views.py",
    "bot/cancellation/views.py",
    "bot/tenants/subscription_choice_view.py",
    "bot/pipeline/requests_view.py",
    "bot/pipeline/news.py",
    "bot/pipeline/approvals.py",
    "bot/pipeline/execution.py",
    "bot/pipeline/actions.py",
    "bot/cache/sync.py",
    "bot/cache/groups.py",
    "bot/core/contacts.py",
    "handlers/refunds.py",
    "handlers/subscription_choice.py",
    "handlers/tenant_edit.py",
    "handlers/options.py",
    "playground/chrome.py",
    "playground/payments.py",
    "playground/interactions.py",
    "handlers/router.py",
    "handlers/language.py",
    "bot/software/views.py",
    "bot/software/buy.py",
    "bot/software/cancel.py",
    "bot/software/catalogue.py",
    "bot/software/keys.py",
    "bot/software/listing.py",
    "bot/software/steps.py",
    "handlers/software.py",
    "bot/terms/views.py",
    "bot/reference/terms.py",
    "bot/pipeline/scheduled.py",
    "bot/terms/digest.py",
    "bot/usage/seats_used.py",
    "bot/usage/chart.py",
    "bot/usage/post.py",
    "bot/usage/report.py",
    "handlers/usage.py",
    "bot/roles/grants.py",
    "bot/roles/admin.py",
    "bot/roles/views.py",
    "handlers/roles.py",
    "bot/audit/trail.py",
    "bot/audit/views.py",
    "handlers/audit.py",
    "bot/policy/approvals.py",
    "bot/policy/cancellation.py",
    "bot/policy/orders.py",
    "bot/policy/refunds.py",
    "bot/policy/seats.py",
    "bot/policy/software.py",
    "bot/policy/status.py",
    "bot/pipeline/cards.py",
    "bot/pipeline/transitions.py",
    "bot/pipeline/confirm_view.py",
    "bot/pipeline/worker.py",
    "bot/pipeline/confirmation.py",
    "bot/pipeline/request_lists.py",
    "bot/pipeline/kinds.py",
    "handlers/requests.py",
    "bot/orders/views.py",
    "bot/orders/form.py",
    "bot/orders/confirmation_view.py",
    "bot/orders/plans.py",
    "bot/orders/delivery.py",
    "handlers/orders.py",
    "handlers/home.py",
    "bot/tenants/browse.py",
    "bot/tenants/browse_view.py",
    "bot/tenants/views.py",
    "bot/tenants/edit.py",
    "bot/tenants/subscription_choice.py",
    "handlers/browse.py",
    "bot/cancellation/cancel.py",
    "bot/seats/changes.py",
    "handlers/cancel.py",
    "handlers/seats.py",
    "bot/partner_center/errors.py",
    "bot/partner_center/transport.py",
    "bot/partner_center/auth.py",
    "bot/partner_center/client.py",
    "bot/slack/ids.py",
    "bot/cache/typeahead.py",
    "bot/reference/pricing.py",
    "bot/core/text.py",
)
#: Whose one-line help (the second argument of `Subcommand(...)`) is translated, in every
#: handler module: `/csp help` lists them all.
SUBCOMMAND_SOURCES = "handlers/*.py"
KEYWORDS = {**DEFAULT_KEYWORDS, "_": None, "ngettext": (1, 2), "N_": None}
#: Written in every header, so that an update changes the files only where texts change.
FIXED_DATE = datetime(2026, 1, 1, tzinfo=UTC)
_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)[^{}]*\}")


def placeholders(text: str) -> set[str]:
    return set(_PLACEHOLDER.findall(text))


def extracted() -> Catalog:
    """The template: every text of the translated modules and every subcommand's help."""
    catalog = Catalog(project="csp-bot", domain=DOMAIN, creation_date=FIXED_DATE, fuzzy=False)
    for relative in TRANSLATED:
        path = ROOT / relative
        for _line, message, comments, context in extract_from_file(
                "python", path, keywords=KEYWORDS, comment_tags=("Translators:",)):
            catalog.add(message, locations=[_where(relative)], auto_comments=comments,
                        context=context)
    for path in sorted(ROOT.glob(SUBCOMMAND_SOURCES)):
        relative = path.relative_to(ROOT).as_posix()
        for _line, summary in subcommand_summaries(path):
            catalog.add(summary, locations=[_where(relative)])
    return catalog


def _where(relative: str) -> tuple[str, int]:
    """A location without a line number, so that moving a text within its file changes nothing
    in the catalogues (Babel writes no number for None, though its types say int)."""
    return (relative, None)  # type: ignore[return-value]


def subcommand_summaries(path: Path) -> Iterator[tuple[int, str]]:
    """The literal summary of each `Subcommand(name, summary, ...)` in `path`, wrapped in
    `_()`/`N_()` or not."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Subcommand"):
            continue
        if len(node.args) < 2:
            continue
        summary = node.args[1]
        if isinstance(summary, ast.Call) and summary.args:
            summary = summary.args[0]
        if isinstance(summary, ast.Constant) and isinstance(summary.value, str):
            yield summary.lineno, summary.value


def translations_of(language: str) -> Catalog:
    with catalog_path(language).open("rb") as handle:
        return read_po(handle, locale=_po_locale(language))


def _po_locale(language: str) -> str:
    return {"pt": "pt_PT"}.get(language, language)


def update() -> None:
    """Write the template and merge it into every language (new texts come in empty,
    removed ones go)."""
    template = extracted()
    _write(TEMPLATE, template)
    for language in LANGUAGES:
        if language == SOURCE_LANGUAGE:
            continue
        path = catalog_path(language)
        if path.exists():
            catalog = translations_of(language)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            catalog = Catalog(locale=_po_locale(language), domain=DOMAIN, project="csp-bot")
        catalog.update(template, no_fuzzy_matching=True, update_creation_date=False)
        catalog.obsolete.clear()
        catalog.fuzzy = False  # a fuzzy header would drop Plural-Forms from the compiled file
        catalog.revision_date = catalog.creation_date = FIXED_DATE
        _write(path, catalog)


def compile_all() -> None:
    for language in LANGUAGES:
        if language == SOURCE_LANGUAGE:
            continue
        catalog = translations_of(language)
        with catalog_path(language).with_suffix(".mo").open("wb") as handle:
            write_mo(handle, catalog)


def _write(path: Path, catalog: Catalog) -> None:
    with path.open("wb") as handle:
        write_po(handle, catalog, width=100, sort_output=False, omit_header=False,
                 include_previous=False)


def problems(languages: Iterable[str] = LANGUAGES) -> list[str]:
    """What keeps the catalogues from being complete: a text of the sources missing from a
    language, untranslated, fuzzy, with other placeholders, or with the wrong number of
    plural forms. Empty when all is well."""
    template = extracted()
    found: list[str] = []
    for language in languages:
        if language == SOURCE_LANGUAGE:
            continue
        path = catalog_path(language)
        if not path.exists():
            found.append(f"{language}: no catalogue at {path}")
            continue
        catalog = translations_of(language)
        for source in template:
            if not source.id:
                continue
            key = source.id if not isinstance(source.id, tuple) else source.id[0]
            message = catalog.get(key, context=source.context)
            where = f"{language}: {key!r}"
            if message is None:
                found.append(f"{where} is missing (run `make catalogs-update`, then translate)")
                continue
            if message.fuzzy:
                found.append(f"{where} is marked fuzzy: check the translation")
            ids = source.id if isinstance(source.id, tuple) else (source.id,)
            texts = message.string if isinstance(message.string, tuple) else (message.string,)
            if isinstance(source.id, tuple) and len(texts) != catalog.num_plurals:
                found.append(f"{where} has {len(texts)} plural forms; "
                             f"{language} has {catalog.num_plurals}")
            wanted = set().union(*(placeholders(str(i)) for i in ids))
            for text in texts:
                if not text:
                    found.append(f"{where} is not translated")
                elif placeholders(str(text)) != wanted:
                    found.append(f"{where}: placeholders {sorted(placeholders(str(text)))} "
                                 f"instead of {sorted(wanted)}")
    return found


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "check"
    if command in ("extract", "update"):
        if command == "extract":
            _write(TEMPLATE, extracted())
        else:
            update()
        return 0
    if command == "compile":
        compile_all()
        return 0
    if command == "check":
        found = problems()
        for line in found:
            print(line)
        return 1 if found else 0
    print("usage: python -m bot.core.catalogs extract|update|compile|check", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""The import rules of docs/architecture.md, held against the code: each folder imports only
the folders its paragraph names, and the few places where the generic parts know a flow are
listed here by name, so a new one is a decision, not an accident."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FEATURES = {"bot/orders", "bot/seats", "bot/cancellation", "bot/refunds", "bot/tenants",
            "bot/terms", "bot/usage", "bot/software", "bot/roles", "bot/home", "bot/audit"}
KERNEL = {"bot/core"}
BELOW_FEATURES = KERNEL | {"bot/slack", "bot/reference", "bot/policy", "bot/pipeline",
                           "bot/cache", "bot/provider", "bot/partner_center", "store",
                           "bot/app:types"}
#: Flows that embed another: choosing a subscription (`tenants/`), the renewal words
#: (`terms/`), the seat and cancellation windows the digest and the usage line speak of, App
#: Home's group list, a software cancellation's refund ticket, a done order's links into its
#: group (`tenants/`), the customer's tenant that a group's last refund ticket named.
EMBEDS: dict[str, set[str]] = {
    "bot/orders": {"bot/tenants"},
    "bot/seats": {"bot/tenants", "bot/terms"},
    "bot/cancellation": {"bot/tenants", "bot/terms"},
    "bot/tenants": {"bot/terms", "bot/usage", "bot/refunds"},
    "bot/terms": {"bot/seats", "bot/cancellation"},
    "bot/usage": {"bot/seats"},
    "bot/home": {"bot/tenants"},
    "bot/software": {"bot/refunds"},
}
#: What each folder may import besides itself. "bot/app:types" is what the wiring hands the
#: rest: `Runtime`, `Settings`, the log context and the metrics hooks; the rest of `bot/app`
#: builds things and is not theirs.
ALLOWED: dict[str, set[str]] = {
    "bot/core": set(),
    "store": KERNEL,
    "bot/provider": KERNEL,
    "bot/partner_center": KERNEL | {"bot/provider"},
    "bot/reference": KERNEL | {"bot/policy", "bot/app:types"},
    "bot/policy": KERNEL | {"bot/reference", "bot/app:types"},
    "bot/slack": KERNEL | {"bot/roles", "bot/app:types"},
    "bot/cache": KERNEL | {"bot/provider", "store", "bot/app:types"},
    "bot/pipeline": KERNEL | {"bot/slack", "bot/reference", "bot/policy", "bot/cache",
                              "bot/provider", "bot/roles", "store", "bot/app:types"},
    **{feature: BELOW_FEATURES | EMBEDS.get(feature, set()) for feature in FEATURES},
    # a listener reads and writes through its flow, never `store/` (DESIGN.md's rule)
    "handlers": (BELOW_FEATURES | FEATURES) - {"store"},
    # the playground starts the bot it plays Slack for
    "playground": KERNEL | {"bot/provider", "bot/app", "bot/app:types"},
}
#: Where a generic part knows a flow, by design (docs/architecture.md says why).
EXCEPTIONS = {
    # a rule module reads the data types of its own flow
    ("bot/policy/refunds.py", "bot.refunds.form"),
    ("bot/policy/software.py", "bot.software.purchases"),
    # who may decide is the kind's approval rule
    ("bot/policy/approvals.py", "bot.pipeline.kinds"),
    # the worker runs the steps of the kinds that have steps
    ("bot/pipeline/worker.py", "bot.orders.delivery"),
    ("bot/pipeline/worker.py", "bot.orders.new_group_view"),
    ("bot/pipeline/worker.py", "bot.software.steps"),
    ("bot/pipeline/worker.py", "bot.software.sync"),
    ("bot/pipeline/execution.py", "bot.orders.delivery"),
    # a type in a signature: the group the command's argument parser already read
    ("handlers/seats.py", "store.cache"),
}
APP_TYPES = {"bot.app.runtime", "bot.app.config", "bot.app.log_context", "bot.app.metrics"}


def folder_of(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] in ("handlers", "store", "playground"):
        return parts[0]
    if parts[0] != "bot" or len(parts) < 2:
        return None
    if module in APP_TYPES:
        return "bot/app:types"
    return f"bot/{parts[1]}"


def imports(path: Path) -> Iterator[str]:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:  # `from bot.orders import delivery` names a module
                submodule = f"{node.module}.{alias.name}"
                yield submodule if known(submodule) else node.module
        elif isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)


def sources() -> Iterator[tuple[str, Path]]:
    for top in ("bot", "handlers", "store", "playground"):
        for path in sorted((ROOT / top).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if relative == "bot/__init__.py":
                continue
            home = folder_of(relative[:-3].replace("/", "."))
            if home is not None and home != "bot/app:types":
                yield home, path
            elif relative.startswith("bot/app/"):
                yield "bot/app", path


def known(module: str) -> bool:
    """Whether `module` is a module or package of this tree (not a name inside one)."""
    base = ROOT / module.replace(".", "/")
    return base.with_suffix(".py").exists() or (base / "__init__.py").exists()


def test_every_folder_imports_only_what_its_paragraph_names() -> None:
    wrong = []
    for home, path in sources():
        if home == "bot/app":
            continue  # the wiring may import anything
        relative = path.relative_to(ROOT).as_posix()
        for module in imports(path):
            target = folder_of(module)
            if target is None or target == home:
                continue
            if target in ALLOWED[home] or (relative, module) in EXCEPTIONS:
                continue
            wrong.append(f"{relative} imports {module} ({home} may not import {target})")
    assert not wrong, "\n".join(wrong)


def test_the_exceptions_are_still_needed() -> None:
    """An exception nobody needs any more goes, so the list stays the truth."""
    used = {(path.relative_to(ROOT).as_posix(), module)
            for _home, path in sources() for module in imports(path)}
    assert not EXCEPTIONS - used


@pytest.mark.parametrize("generic", ["bot/pipeline/cards.py", "bot/pipeline/news.py",
                                     "bot/pipeline/notify.py"])
def test_cards_news_and_the_notifier_import_no_request_kind(generic: str) -> None:
    kinds = FEATURES - {"bot/home"}
    found = [m for m in imports(ROOT / generic) if folder_of(m) in kinds]
    assert not found


def test_the_map_names_every_folder() -> None:
    """docs/architecture.md has the tree and a paragraph for every package of the code."""
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    packages = sorted(p.parent.relative_to(ROOT).as_posix()
                      for top in ("bot", "handlers", "store", "playground")
                      for p in (ROOT / top).glob("*/__init__.py"))
    packages += ["handlers", "store", "playground"]
    tree = text.split("```")[1]
    missing = [p for p in packages
               if f"{p.rsplit('/', 1)[-1]}/" not in tree or f"`{p}/`" not in text]
    assert not missing, f"docs/architecture.md does not describe {missing}"

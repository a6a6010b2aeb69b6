"""The README is the operator's reference: its configuration table must name every setting the
bot reads, with the default the code really has, and nothing the code does not read.

`python -m tests.test_docs` prints a skeleton of the table from `Settings` (name and default;
the meaning column is written by hand) when a setting is added.
"""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import AliasChoices
from pydantic.fields import FieldInfo

from bot.app.config import Settings

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
ROW = re.compile(r"^\|\s*`(?P<env>[A-Z0-9_]+)`\s*\|(?P<default>[^|]*)\|(?P<meaning>.*)\|\s*$")


def env_names(name: str, field: FieldInfo) -> list[str]:
    """The variable names a field is read from, the canonical one first."""
    alias = field.validation_alias
    if isinstance(alias, AliasChoices):
        return [str(choice).upper() for choice in alias.choices]
    return [name.upper()]


def rendered_default(field: FieldInfo) -> str:
    """How the table shows a default: `value`, or a word for unset and empty."""
    if field.default is None:
        return "unset"
    if field.default == "":
        return "empty"
    return f"`{field.default}`"


def readme_rows() -> dict[str, tuple[str, str]]:
    """The configuration table of README.md: env name -> (default cell, meaning cell)."""
    text = README.read_text(encoding="utf-8")
    section = text.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        match = ROW.match(line)
        if match:
            rows[match["env"]] = (match["default"].strip(), match["meaning"].strip())
    return rows


def test_readme_table_names_every_setting_with_its_default():
    rows = readme_rows()
    for name, field in Settings.model_fields.items():
        env = env_names(name, field)[0]
        assert env in rows, (
            f"README.md's configuration table lacks {env}: add the row "
            f"| `{env}` | {rendered_default(field)} | <what it means> |"
        )
        default, meaning = rows[env]
        assert default == rendered_default(field), f"{env}: README says {default}"
        assert meaning, f"{env}: say what it means"


def test_readme_table_has_no_setting_the_code_does_not_read():
    known = {env for name, field in Settings.model_fields.items() for env in env_names(name, field)}
    stale = set(readme_rows()) - known
    assert not stale, f"README.md documents settings that bot/app/config.py does not have: {stale}"


def test_every_alias_is_mentioned():
    text = README.read_text(encoding="utf-8")
    for name, field in Settings.model_fields.items():
        for env in env_names(name, field):
            assert f"`{env}`" in text, env


def test_ci_runs_exactly_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    # The one preparation allowed: the root-only `if … fi` that installs Chromium for the
    # playground's browser tests and promtool for the alert rules, which the README mentions.
    for block in re.findall(r"\nif \[[^\n]*\n(?:  [^\n]*\n)*fi\n", ci):
        assert "apt-get install" in block and "chromium" in block, block
        assert "`chromium`" in README.read_text(encoding="utf-8")
        assert "prometheus" not in block or "`promtool`" in README.read_text(encoding="utf-8")
        ci = ci.replace(block, "\n")
    commands = [
        line.strip()
        for line in ci.splitlines()
        if line.strip() and not line.startswith("#") and not line.startswith(("set ", "cd "))
    ]
    assert commands == ["make test"]
    quick_start = README.read_text(encoding="utf-8").split("## Quick start", 1)[1]
    assert "make test" in quick_start.split("\n## ", 1)[0]


def table_skeleton() -> str:
    lines = ["| Variable | Default | Meaning |", "|---|---|---|"]
    for name, field in Settings.model_fields.items():
        lines.append(
            f"| `{env_names(name, field)[0]}` | {rendered_default(field)} | "
            f"{field.description or ''} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    print(table_skeleton())

"""The deployment files, checked without a container engine: compose.yaml against the Compose
Specification (the `compose_spec` parser) and the rules this deployment depends on, nginx's
configuration (nginx's own parser, crossplane), the Dockerfile (dockerfile-parse), the
image's health probe run against a live bot, and the alert rules (promtool, where installed).
Where a container engine answers, the image is built and its entry point run as well.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import crossplane
import pytest
import yaml
from compose_spec import PyOptions
from dockerfile_parse import DockerfileParser

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "compose.yaml"
NGINX = ROOT / "deploy" / "nginx.conf"
PROMETHEUS = ROOT / "deploy" / "prometheus"
BOTS = ("bot-1", "bot-2")


@pytest.fixture(scope="module")
def compose() -> dict:
    text = COMPOSE.read_text()
    parsed = PyOptions(apply_merge=True).from_yaml(text)  # raises on anything off-spec
    parsed.validate()
    assert sorted(parsed.service_names()) == sorted(
        ["db", "migrate", *BOTS, "proxy", "prometheus"]
    )
    return yaml.safe_load(text)  # merge keys applied, as Compose applies them


def test_two_replicas_share_one_database_in_http_mode(compose):
    services = compose["services"]
    bots = [services[name] for name in BOTS]
    for bot in bots:
        assert bot["build"] == "." and bot["image"] == "csp-bot:local"
        env = bot["environment"]
        assert env["DATABASE_URL"].startswith("postgresql+asyncpg://csp_bot:")
        assert env["DATABASE_URL"].endswith("@db:5432/csp_bot")
        assert "SLACK_SIGNING_SECRET" in env and "SLACK_APP_TOKEN" not in env  # HTTP mode
        assert env["LOG_FORMAT"] == "json" and env["PORT"] == "3000"
        assert "ports" not in bot  # reached through the proxy only
        assert "/healthz" in " ".join(bot["healthcheck"]["test"])
        assert bot["depends_on"] == {
            "db": {"condition": "service_healthy"},
            "migrate": {"condition": "service_completed_successfully"},
        }
    assert bots[0]["environment"] == bots[1]["environment"]
    migrate = services["migrate"]
    assert migrate["command"] == ["db", "upgrade"] and migrate["restart"] == "no"
    assert migrate["depends_on"] == {"db": {"condition": "service_healthy"}}
    db = services["db"]
    assert db["image"].startswith("postgres:")
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    assert "${POSTGRES_PASSWORD:?" in db["environment"]["POSTGRES_PASSWORD"]


def test_every_dependency_exists_and_one_port_is_published(compose):
    services = compose["services"]
    for name, service in services.items():
        for needed, how in (service.get("depends_on") or {}).items():
            assert needed in services, (name, needed)
            if how["condition"] == "service_healthy":
                assert "healthcheck" in services[needed], (name, needed)
    published = {n: s["ports"] for n, s in services.items() if s.get("ports")}
    assert published["proxy"] == ["8080:8080"]
    assert published.get("prometheus", ["127.0.0.1:"])[0].startswith("127.0.0.1:")
    assert set(published) <= {"proxy", "prometheus"}
    proxy = services["proxy"]
    assert proxy["depends_on"] == {b: {"condition": "service_healthy"} for b in BOTS}
    mount = next(v for v in proxy["volumes"] if v.endswith(":/etc/nginx/nginx.conf:ro"))
    assert (ROOT / mount.split(":")[0]).resolve() == NGINX


def _directives(block: list[dict], name: str) -> list[dict]:
    return [d for d in block if d["directive"] == name]


def test_the_proxy_sends_slack_to_both_replicas_and_hides_metrics():
    parsed = crossplane.parse(str(NGINX))
    assert parsed["status"] == "ok", parsed["errors"]
    (http,) = _directives(parsed["config"][0]["parsed"], "http")
    (upstream,) = _directives(http["block"], "upstream")
    servers = [d["args"][0] for d in _directives(upstream["block"], "server")]
    assert servers == [f"{bot}:3000" for bot in BOTS]
    (server,) = _directives(http["block"], "server")
    assert _directives(server["block"], "listen")[0]["args"] == ["8080"]
    locations = {tuple(d["args"]): d["block"] for d in _directives(server["block"], "location")}
    assert set(locations) == {("=", "/slack/events"), ("=", "/healthz"), ("/",)}
    events = locations["=", "/slack/events"]
    assert _directives(events, "proxy_pass")[0]["args"] == [f"http://{upstream['args'][0]}"]
    retry = _directives(events, "proxy_next_upstream")[0]["args"]
    assert "http_503" in retry and "timeout" not in retry  # never resend a slow request
    assert _directives(locations["/",], "return")[0]["args"] == ["404"]  # no /metrics outside


@pytest.fixture(scope="module")
def dockerfile() -> DockerfileParser:
    return DockerfileParser(fileobj=io.BytesIO((ROOT / "Dockerfile").read_bytes()))


def test_the_dockerfile_builds_a_wheel_and_runs_it_unprivileged(dockerfile):
    stages = [i for i in dockerfile.structure if i["instruction"] == "FROM"]
    assert len(stages) == 2 and stages[0]["value"].endswith("AS build")
    (base,) = [i["value"] for i in dockerfile.structure if i["instruction"] == "ARG"]
    assert base.startswith("PYTHON_IMAGE=python:3.11-slim")
    assert all(stage["value"].startswith("${PYTHON_IMAGE}") for stage in stages)
    final = dockerfile.structure[dockerfile.structure.index(stages[1]):]
    values = {i["instruction"]: i["value"] for i in final}
    assert "--from=build" in values["COPY"] and ".whl" in values["COPY"]
    assert any(i["instruction"] == "RUN" and "pip install" in i["value"] and ".whl" in i["value"]
               for i in final)
    user = values["USER"]
    assert user not in ("root", "0") and not user.startswith("0:")
    assert json.loads(values["ENTRYPOINT"]) + json.loads(values["CMD"]) == ["csp-bot", "serve"]
    assert "/healthz" in values["HEALTHCHECK"] and "python" in values["HEALTHCHECK"]
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".env", ".git", ".venv", "*.db", "tests"} <= set(ignored)


def _healthcheck_command(dockerfile: DockerfileParser) -> list[str]:
    value = next(i["value"] for i in dockerfile.structure if i["instruction"] == "HEALTHCHECK")
    return json.loads(value.split("CMD", 1)[1].strip())


async def test_the_image_health_probe_asks_a_live_bot(bot, dockerfile):
    command = _healthcheck_command(dockerfile)
    assert command[0] == "python"

    async def probe(port: int) -> int:
        process = await asyncio.create_subprocess_exec(
            sys.executable, *command[1:], env={**os.environ, "PORT": str(port)},
            stderr=asyncio.subprocess.DEVNULL,
        )
        return await asyncio.wait_for(process.wait(), 20)

    assert await probe(bot.port) == 0
    from tests.app.test_cli import free_port

    assert await probe(free_port()) != 0  # nothing listening: unhealthy


def test_the_wheel_carries_what_the_image_runs(tmp_path):
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
        capture_output=True, text=True, timeout=300,
    )
    assert built.returncode == 0, built.stderr
    assert "deprecated" not in built.stderr.lower()  # the licence is an SPDX expression
    (wheel,) = tmp_path.glob("csp_bot-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "store/migrations/env.py" in names
    assert any(n.startswith("store/migrations/versions/0001") for n in names)
    assert "playground/static/index.html" in names
    for language in ("nl", "de", "pt", "it", "fr"):  # the bot compiles them when first used
        assert f"bot/locale/{language}/LC_MESSAGES/messages.po" in names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "csp-bot = bot.app.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()


# --- the alert rules --------------------------------------------------------------------------


def test_the_rules_use_only_metrics_the_bot_exports():
    from tests.ops.test_metrics import FAMILIES

    exported = set(FAMILIES) | {"up"}
    rules = yaml.safe_load((PROMETHEUS / "alerts.yml").read_text())["groups"][0]["rules"]
    for rule in rules:
        names = {w for w in _identifiers(rule["expr"]) if w.startswith(("csp_", "up"))}
        bare = {n.removesuffix("_total").removesuffix("_bucket") for n in names}
        assert bare <= exported, (rule["alert"], bare - exported)


def _identifiers(expr: str) -> set[str]:
    import re

    return set(re.findall(r"[a-z_][a-z0-9_]*", expr))


def test_the_rules_in_the_docs_are_the_rules_in_deploy():
    docs = (ROOT / "docs" / "operations.md").read_text()
    block = docs.split("```yaml\n# deploy/prometheus/alerts.yml\n", 1)[1].split("```", 1)[0]
    assert yaml.safe_load(block) == yaml.safe_load((PROMETHEUS / "alerts.yml").read_text())


PROMTOOL = shutil.which("promtool")


@pytest.mark.skipif(PROMTOOL is None, reason="promtool not installed (Debian: prometheus)")
def test_promtool_accepts_the_rules_and_they_fire_when_they_should():
    for args in (["check", "config", "prometheus.yml"], ["test", "rules", "alerts.test.yml"]):
        done = subprocess.run([PROMTOOL, *args], cwd=PROMETHEUS, capture_output=True, text=True,
                              timeout=60)
        assert done.returncode == 0, done.stdout + done.stderr


# --- with a container engine --------------------------------------------------------------------


def _engine_answers() -> str | None:
    """None when `docker info` answers, else why not (the skip says it)."""
    docker = shutil.which("docker")
    if docker is None:
        return "no docker CLI"
    try:
        info = subprocess.run([docker, "info"], capture_output=True, text=True, timeout=20)
    except subprocess.TimeoutExpired:
        return "docker info timed out"
    return None if info.returncode == 0 else "no container engine answers `docker info`"


def _compose_cli() -> list[str] | None:
    for cli in (["docker", "compose"], ["docker-compose"]):
        if shutil.which(cli[0]) is None:
            continue
        version = subprocess.run([*cli, "version", "--short"], capture_output=True, text=True,
                                 timeout=20)
        if version.returncode == 0 and version.stdout.strip().lstrip("v").startswith("2"):
            return cli
    return None


def test_docker_compose_accepts_the_file(tmp_path):
    cli = _compose_cli()
    if cli is None:
        pytest.skip("no Docker Compose v2 CLI here: the file was checked with compose_spec only")
    shutil.copy(COMPOSE, tmp_path / "compose.yaml")
    (tmp_path / ".env").write_text(
        "POSTGRES_PASSWORD=x\nSLACK_BOT_TOKEN=xoxb-1\nSLACK_SIGNING_SECRET=y\n"
    )
    done = subprocess.run([*cli, "-f", str(tmp_path / "compose.yaml"), "config", "-q"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def test_the_image_builds_and_its_entry_point_runs():
    reason = _engine_answers()
    if reason:
        pytest.skip(f"{reason}: the image was not built (compose.yaml and the Dockerfile were "
                    "checked statically)")
    build = subprocess.run(["docker", "build", "-t", "csp-bot:test", str(ROOT)],
                           capture_output=True, text=True, timeout=1200)
    assert build.returncode == 0, build.stderr[-4000:]
    run = subprocess.run(["docker", "run", "--rm", "csp-bot:test", "--help"],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0 and "serve" in run.stdout
    user = subprocess.run(["docker", "run", "--rm", "--entrypoint", "id", "csp-bot:test", "-u"],
                          capture_output=True, text=True, timeout=120)
    assert user.stdout.strip() not in ("", "0")


def test_the_operations_guide_lists_every_metric():
    from tests.ops.test_metrics import FAMILIES

    docs = (ROOT / "docs" / "operations.md").read_text()
    for name in FAMILIES:
        if not name.startswith("process_"):
            assert f"| `{name}" in docs, name

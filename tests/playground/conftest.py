"""Fixtures: a running playground (bot + Slack stand-in on one loopback port), a client that
uses its page API as the page does, and headless Chromium driven by Playwright."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bot.app.config import Settings
from playground.server import Playground
from tests.playground import demo_flow

ALICE, SAM, ADA = "U0ALICE", "U0SAM", "U0ADA"
STAFF, APPROVALS = "C0STAFF", "C0APPROVALS"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]


def chromium_path() -> str | None:
    return os.environ.get("CHROMIUM") or shutil.which("chromium") or (
        "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None
    )


@pytest.fixture
async def playground(tmp_path) -> AsyncIterator[Playground]:
    settings = Settings(_env_file=None, csp_sandbox_task_seconds=0)
    pg = Playground(settings, port=0, database_url=f"sqlite+aiosqlite:///{tmp_path}/pg.db")
    await pg.start(background=False)
    yield pg
    await pg.stop()


@pytest.fixture
def demo(playground) -> list[dict]:
    """The demo flow registered on the playground's bot; the list records what it received."""
    return demo_flow.register(playground.bolt, playground.bolt.router)


class PageClient:
    """Does what the page does: POSTs to the playground's page API, reads the snapshot."""

    def __init__(self, playground: Playground) -> None:
        self.pg = playground
        self.base = playground.url + "playground/api/"
        self.session = aiohttp.ClientSession()

    async def close(self) -> None:
        await self.session.close()

    async def post(self, path: str, **body) -> dict:
        async with self.session.post(self.base + path, json=body) as response:
            data = await response.json()
            if response.status != 200:
                raise AssertionError(f"{path}: {response.status} {data}")
            return data

    async def get(self, path: str) -> dict:
        async with self.session.get(self.base + path) as response:
            return await response.json()

    async def state(self, user: str = ALICE) -> dict:
        return await self.get(f"state?user={user}")

    async def command(self, text: str, user: str = ALICE, channel: str = STAFF) -> dict:
        return await self.post("command", user=user, channel=channel, text=text)

    async def top_modal(self, user: str = ALICE) -> dict | None:
        stack = (await self.state(user))["modals"]
        return stack[-1] if stack else None


@pytest.fixture
async def page_client(playground) -> AsyncIterator[PageClient]:
    client = PageClient(playground)
    yield client
    await client.close()


# --- the browser ------------------------------------------------------------------------------


@pytest.fixture
async def browser():
    path = chromium_path()
    if path is None:
        pytest.skip("no Chromium installed (apt-get install -y chromium); browser tests skipped")
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        pytest.skip("the playwright package is not installed (pip install -e '.[test]')")
    async with async_playwright() as p:
        launched = await p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield launched
        await launched.close()


@pytest.fixture
async def open_page(browser, playground):
    """`await open_page(user)`: the playground page as that person, in Europe/Paris time."""
    contexts = []

    async def open_as(user: str = ALICE, where: str = STAFF):
        context = await browser.new_context(
            viewport={"width": 1280, "height": 860}, timezone_id="Europe/Paris", locale="en-US"
        )
        contexts.append(context)
        page = await context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("console", lambda m: m.type == "error" and errors.append(f"console: {m.text}"))
        page.js_errors = errors  # type: ignore[attr-defined]
        await page.goto(f"{playground.url}?user={user}&where={where}")
        await page.wait_for_selector("body.ready")
        return page

    yield open_as
    for context in contexts:
        await context.close()


async def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"playground-{name}.png"
    await page.screenshot(path=str(path), full_page=True)
    return path

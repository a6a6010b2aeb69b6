"""`make run` on a fresh machine: `csp-bot serve` without Slack credentials starts the
playground and prints its address; `csp-bot playground` does so explicitly."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys

import aiohttp
import pytest

SLACK_NAMES = ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET")


@pytest.mark.parametrize("command", ["serve", "playground"])
async def test_without_slack_credentials_the_playground_starts_and_stops(tmp_path, command):
    env = {k: v for k, v in os.environ.items() if k not in SLACK_NAMES and k != "HOST"}
    env.update(PORT="0", CSP_SYNC_INTERVAL="3600")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", f"from bot.app.cli import main; main([{command!r}])",
        cwd=tmp_path, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    try:
        printed = b""
        while b"playground: http" not in printed:
            line = await asyncio.wait_for(process.stderr.readline(), 30)
            assert line, f"exited before printing the address: {printed.decode()}"
            printed += line
        url = re.search(rb"(http://127\.0\.0\.1:\d+/)", printed).group(1).decode()
        async with aiohttp.ClientSession() as http:
            async with http.get(url) as page:
                assert page.status == 200
                assert "Local playground" in await page.text()
            async with http.get(url + "readyz") as ready:
                assert ready.status == 200
            async with http.post(url + "playground/api/command", json={
                "user": "U0ALICE", "channel": "C0STAFF", "text": "/csp help"}) as answer:
                assert (await answer.json())["status"] == 200
            async with http.get(url + "playground/api/state?user=U0ALICE") as state:
                messages = (await state.json())["messages"]
                assert any("/csp help" in m["text"] for m in messages)
        process.send_signal(signal.SIGINT)
        await asyncio.wait_for(process.wait(), 30)
        assert process.returncode == 0
        assert not list(tmp_path.glob("*.db"))  # its data lived in a temporary directory
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def test_a_busy_port_is_explained(tmp_path):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {k: v for k, v in os.environ.items() if k not in SLACK_NAMES}
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-c", "from bot.app.cli import main; main(['playground'])",
            cwd=tmp_path, env={**env, "PORT": str(port)},
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )
        _, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in err.decode()
    assert "Traceback" not in err.decode()

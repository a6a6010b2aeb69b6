"""The playground plays Slack's external upload (files_upload_v2) and shows the picture: `/csp
usage` typed on the page, the chart uploaded by the bot, an image block pointing back at the
playground, and the PNG served from there."""

from __future__ import annotations

import asyncio
import struct

import aiohttp

from tests.playground.conftest import STAFF


async def test_the_usage_chart_is_shown_on_the_page(playground, page_client):
    await playground.runtime.syncer.sync_all()
    answer = await page_client.command("/csp usage nordwind")
    assert answer is not None
    await playground.runtime.notifier.settle()
    for _ in range(50):  # the upload follows the command's answer
        state = await page_client.state()
        shared = [m for m in state["messages"] if any(b.get("type") == "image"
                                                      for b in m.get("blocks") or [])]
        if shared:
            break
        await asyncio.sleep(0.1)
    (message,) = shared
    assert message["channel"] == STAFF and "Seats bought and in use" in message["text"]
    image = next(b for b in message["blocks"] if b["type"] == "image")
    assert "bought" in image["alt_text"] and image["image_url"].startswith("/playground-files/")
    async with aiohttp.ClientSession() as session, session.get(
        playground.url.rstrip("/") + image["image_url"]
    ) as response:
        assert response.status == 200 and response.content_type == "image/png"
        png = await response.read()
    assert struct.unpack(">II", png[16:24]) == (1200, 675)

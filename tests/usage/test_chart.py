"""The usage chart: a real PNG of the fixed size, read back, drawn off the event loop, with the
numbers in its alt text."""

from __future__ import annotations

import asyncio
import io
import struct
import threading
from datetime import timedelta

from matplotlib.image import imread

from bot.policy import ASSUMED_PLAN, current_term
from bot.usage.chart import (
    ALT_TEXT_LIMIT,
    HEIGHT,
    MAX_PANELS,
    WIDTH,
    draw_usage_chart,
    render_usage_chart,
)
from bot.usage.seats_used import Holding, usage_summary
from tests.usage.test_seats_used import MID_TERM, NOW, TODAY, WEEK, Batch, Day

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from the PNG's IHDR chunk (the first, by the PNG specification)."""
    assert data[:8] == PNG_SIGNATURE
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def summary(licences: int = 2, name: str = "Office 365 E3"):
    holdings, days = [], []
    added = NOW - timedelta(days=2)
    for n in range(licences):
        lid = 10021 + n
        holdings.append(Holding(lid, f"{name} {n}" if n else name, 30,
                                (Batch(20, MID_TERM), Batch(10, added)),
                                current_term(ASSUMED_PLAN, MID_TERM, NOW)))
        days += [Day(lid, TODAY - timedelta(days=age), 22 if age < 30 else 28,
                     20 if age < 30 else 27) for age in range(90)]
    return usage_summary("Nordwind Logistics B.V.", holdings, days, None, NOW, NOW, WEEK)


def test_the_chart_is_a_png_of_the_fixed_size_with_its_numbers_in_the_alt_text():
    chart = draw_usage_chart(summary())
    assert png_size(chart.png) == (WIDTH, HEIGHT) == (chart.width, chart.height)
    pixels = imread(io.BytesIO(chart.png), format="png")
    assert pixels.shape[:2] == (HEIGHT, WIDTH)
    assert pixels.std() > 0.01  # something is drawn, not a blank canvas
    alt = chart.alt_text
    assert "Nordwind Logistics B.V." in alt and "2026-08-05 to 2026-11-02" in alt
    assert "Office 365 E3: 30 bought, peak 22 in 30 days, 28 in 90 days." in alt
    assert "28 in 90 days. 8 could be removed until Sat 07 Nov 2026, 09:00 UTC." in alt
    assert "<!date^" not in alt  # plain text: an image description renders no tokens
    assert chart.filename.endswith(".png")


def test_any_number_of_licences_keeps_the_size_and_the_alt_text_names_them_all():
    many = draw_usage_chart(summary(MAX_PANELS + 3))
    assert png_size(many.png) == (WIDTH, HEIGHT)
    assert all(f"Office 365 E3 {n}:" in many.alt_text for n in range(1, MAX_PANELS + 3))
    empty = draw_usage_chart(usage_summary("Empty", [], [], None, None, NOW, WEEK))
    assert png_size(empty.png) == (WIDTH, HEIGHT)
    assert "No usage figures for this license group yet." in empty.alt_text


def test_names_are_text_not_mathtext_and_the_alt_text_is_bounded():
    chart = draw_usage_chart(summary(30, name="Plan $1 _x^2_ " + "y" * 200))
    assert png_size(chart.png) == (WIDTH, HEIGHT)
    assert len(chart.alt_text) <= ALT_TEXT_LIMIT


async def test_it_is_drawn_in_a_worker_thread(monkeypatch):
    import bot.usage.chart as module

    drawn_in, original = [], module.draw_usage_chart

    def spy(s):
        drawn_in.append(threading.current_thread())
        return original(s)

    monkeypatch.setattr(module, "draw_usage_chart", spy)
    ticks = 0

    async def ticker():
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.001)

    task = asyncio.create_task(ticker())
    chart = await render_usage_chart(summary(MAX_PANELS))
    task.cancel()
    assert drawn_in and drawn_in[0] is not threading.main_thread()
    assert ticks > 1  # the loop went on while the chart was drawn
    assert png_size(chart.png) == (WIDTH, HEIGHT)


def test_matplotlib_is_imported_by_the_drawing_not_by_the_module():
    """Its first import takes seconds: it happens in the drawing's thread, never on the loop."""
    import subprocess
    import sys

    code = "import sys, bot.usage.chart; assert 'matplotlib' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)

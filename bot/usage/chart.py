"""The usage chart: seats bought against seats in use over the last quarter, one panel per
licence, as PNG bytes of a fixed size, with the alt text that carries its numbers.

Drawn with matplotlib's Agg canvas on a `Figure` of its own — never pyplot, whose global state
and display backends have no place in a server — and off the event loop (`render_usage_chart`
runs the drawing in a thread), so a chart never holds up a Slack acknowledgement.
Provider-given names are drawn as plain text (no mathtext: a `$` in a name is a dollar).
matplotlib itself is imported by the drawing, in that thread: its first import takes seconds,
which the event loop must not wait for.
"""

from __future__ import annotations

import asyncio
import io
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from bot.core.formats import day, number, short_day
from bot.core.i18n import _, ngettext
from bot.policy.seats import utc_text
from bot.usage.seats_used import (
    MONTH_DAYS,
    LicenceUsage,
    UsageSummary,
    billing_label,
    right_sizing_line,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes

WIDTH, HEIGHT, DPI = 1200, 675, 100
#: Panels drawn; the alt text names every licence.
MAX_PANELS = 4
#: Slack keeps an image's alt text short; ours stays within this.
ALT_TEXT_LIMIT = 1800
NAME_LIMIT = 60

BOUGHT_COLOUR, PEAK_COLOUR, END_COLOUR, SHADE_COLOUR = "#1f4e79", "#c0392b", "#e59866", "#f2f3f4"


@dataclass(frozen=True)
class UsageChart:
    png: bytes
    alt_text: str
    width: int = WIDTH
    height: int = HEIGHT

    @property
    def filename(self) -> str:
        return "usage.png"


def draw_usage_chart(summary: UsageSummary) -> UsageChart:
    """The chart and its alt text (CPU-bound: call `render_usage_chart` from async code)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.dates import AutoDateLocator, num2date
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

    fig = Figure(figsize=(WIDTH / DPI, HEIGHT / DPI), dpi=DPI)
    FigureCanvasAgg(fig)
    shown = summary.licences[:MAX_PANELS]
    fig.suptitle(_clip(_("Seats bought and in use: {group}", group=summary.group), 90),
                 parse_math=False, fontsize=13)
    if not shown:
        fig.text(0.5, 0.5, _("No usage figures for this license group yet."), ha="center",
                 va="center", fontsize=12, parse_math=False)
    else:
        axes = fig.subplots(len(shown), 1, sharex=True, squeeze=False)[:, 0]
        for ax, usage in zip(axes, shown, strict=True):
            _panel(ax, usage, summary)
        # matplotlib's own hints leave these two unannotated
        locator = AutoDateLocator()  # type: ignore[no-untyped-call]
        axes[-1].xaxis.set_major_locator(locator)
        # the reader's month names ("3 mrt", "3. März"), not matplotlib's English ones
        axes[-1].xaxis.set_major_formatter(
            FuncFormatter(lambda x, _pos: short_day(
                num2date(x).date())))  # type: ignore[no-untyped-call]
        axes[-1].set_xlim(summary.first_day, summary.today)
        axes[0].legend(loc="upper left", fontsize=8, frameon=False, ncols=4)
    if len(summary.licences) > MAX_PANELS:
        more = len(summary.licences) - MAX_PANELS
        fig.text(0.99, 0.01, ngettext("and {n} more licence (see the text)",
                                      "and {n} more licences (see the text)", more),
                 ha="right", va="bottom", fontsize=8, parse_math=False)
    fig.subplots_adjust(left=0.06, right=0.98, top=0.9, bottom=0.08, hspace=0.55)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI)
    return UsageChart(buffer.getvalue(), usage_alt_text(summary))


async def render_usage_chart(summary: UsageSummary) -> UsageChart:
    """`draw_usage_chart` in a worker thread: the event loop keeps answering Slack."""
    return await asyncio.to_thread(draw_usage_chart, summary)


def _panel(ax: Axes, usage: LicenceUsage, summary: UsageSummary) -> None:
    # The x values are dates, which matplotlib's date converter takes; its type hints only
    # name floats, hence the arg-type ignores below.
    ax.axvspan(summary.today - timedelta(days=MONTH_DAYS - 1),  # type: ignore[arg-type]
               summary.today,  # type: ignore[arg-type]
               color=SHADE_COLOUR, zorder=0, label=_("last 30 days"))
    if usage.days:
        days = [d.day for d in usage.days]
        ax.step(days, [d.peak for d in usage.days],  # type: ignore[arg-type]
                where="mid", color=PEAK_COLOUR, label=_("peak in use (day)"))
        ends = [(d.day, d.end_of_day) for d in usage.days if d.end_of_day is not None]
        if ends:
            ax.plot([d for d, _n in ends],  # type: ignore[arg-type]
                    [n for _d, n in ends], color=END_COLOUR,
                    linewidth=0.8, label=_("in use at day's end"))
    else:
        ax.text(0.5, 0.5, _("no usage figures yet"), transform=ax.transAxes, ha="center",
                va="center", fontsize=9, parse_math=False)
    ax.axhline(usage.bought, color=BOUGHT_COLOUR, linestyle="--", linewidth=1.2,
               label=_("bought now"))
    top = max([usage.bought, *(d.peak for d in usage.days)])
    ax.set_ylim(0, max(top * 1.25, 1))
    ax.set_title(_clip(_title(usage), 110), loc="left", fontsize=10, parse_math=False)
    ax.grid(axis="y", linewidth=0.3)


def _title(usage: LicenceUsage) -> str:
    return " · ".join([_clip(usage.name, NAME_LIMIT), *_figures(usage)])


def _figures(usage: LicenceUsage) -> list[str]:
    parts = [ngettext("{n} bought", "{n} bought", usage.bought)]
    if usage.peak_30 is None:
        parts.append(_("no usage figures in 30 days"))
    else:
        parts.append(_("peak {n} in 30 days", n=number(usage.peak_30)))
    if usage.peak_90 is not None:
        parts.append(_("{n} in 90 days", n=number(usage.peak_90)))
    return parts


def usage_alt_text(summary: UsageSummary) -> str:
    """What the chart shows, in words and numbers, for people who do not see it."""
    lines = [_("Seats bought and in use at {group}, {first} to {today}.", group=summary.group,
               first=day(summary.first_day), today=day(summary.today))]
    if summary.read_at is not None:
        lines.append(_("OVHcloud's usage statistics as read on {when}.",
                       when=utc_text(summary.read_at)))
    if not summary.licences:
        lines.append(_("No usage figures for this license group yet."))
    for usage in summary.licences:
        text = _clip(usage.name, NAME_LIMIT) + ": " + ", ".join(_figures(usage))
        if usage.billing is not None:
            text += "; " + _("{period}: peak {n}", period=billing_label(usage.billing),
                             n="?" if usage.billing_peak is None
                             else number(usage.billing_peak))
        if right_sizing_line(usage) is not None and usage.removable_until is not None:
            text += ". " + ngettext("{n} could be removed until {date}",
                                    "{n} could be removed until {date}", usage.could_remove,
                                    date=utc_text(usage.removable_until))
        lines.append(text + ".")
    return _clip(" ".join(lines), ALT_TEXT_LIMIT)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"

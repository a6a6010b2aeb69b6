"""`/csp usage <group>` and the tenant details' "Usage chart": the usage chart uploaded to Slack.

The answer to the command is immediate (the cache names the group); the chart is drawn in a
thread and uploaded after the acknowledgement, with slack-sdk's `files_upload_v2` — Slack's
external upload: `files.getUploadURLExternal`, the bytes to the URL it gives, then
`files.completeUploadExternal` sharing the file in the channel. The image's alt text carries
the numbers; the message beside it carries the right-sizing lines while a window is open.
Where the bot may not post (a channel it is not in), the chart goes to the person's DM.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from slack_sdk.errors import SlackApiError

from bot.core.i18n import _
from bot.core.text import escape
from bot.usage.chart import UsageChart, render_usage_chart
from bot.usage.report import group_usage
from bot.usage.seats_used import UsageSummary, right_sizing_line

if TYPE_CHECKING:
    from bot.app.runtime import Runtime

log = logging.getLogger(__name__)

#: Slack refuses these when the bot may not post where the command was run.
NOT_HERE = frozenset({"not_in_channel", "channel_not_found", "is_archived", "access_denied"})


def usage_comment(summary: UsageSummary) -> str:
    """The message shared with the chart: what it shows, and what could be removed now."""
    lines = [_("*Seats bought and in use: {group}* (last month and quarter)",
               group=escape(summary.group))]
    for usage in summary.licences:
        line = right_sizing_line(usage)
        if line:
            lines.append(f"• {escape(usage.name)}: {line}")
    if len(lines) == 1:
        lines.append(_("No seats sat unused all month inside an open window: nothing to "
                       "right-size now."))
    return "\n".join(lines)


async def upload_chart(runtime: Runtime, channel: str, chart: UsageChart, comment: str,
                       title: str) -> None:
    await runtime.slack.files_upload_v2(
        channel=channel, file=chart.png, filename=chart.filename, title=title,
        alt_txt=chart.alt_text, initial_comment=comment,
    )


async def post_usage(runtime: Runtime, service_name: str, channel: str | None,
                     user_id: str) -> None:
    """Draws the group's chart and shares it in `channel`, or in the person's DM."""
    summary = await group_usage(runtime, service_name)
    chart = await render_usage_chart(summary)
    comment = usage_comment(summary)
    title = _("Usage of {group}", group=summary.group)
    if channel:
        try:
            await upload_chart(runtime, channel, chart, comment, title)
            return
        except SlackApiError as exc:
            if exc.response.get("error") not in NOT_HERE:
                raise
    opened = await runtime.slack.conversations_open(users=user_id)
    await upload_chart(runtime, opened["channel"]["id"], chart, comment, title)


def post_usage_soon(runtime: Runtime, service_name: str, channel: str | None, user_id: str) -> None:
    """`post_usage` after the listener's answer; a failure is logged and told to the person."""

    async def work() -> None:
        try:
            await post_usage(runtime, service_name, channel, user_id)
        except Exception:
            log.exception("the usage chart of %s could not be posted", service_name)
            opened = await runtime.slack.conversations_open(users=user_id)
            await runtime.slack.chat_postMessage(
                channel=opened["channel"]["id"],
                text=_("The usage chart could not be posted to Slack; try `/csp usage` again "
                       "in a moment."))

    runtime.notifier.in_background(work())

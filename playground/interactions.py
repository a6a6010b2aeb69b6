"""What a person does on the page, turned into what Slack sends the bot, and the bot's answer
applied the way Slack applies it (ephemeral replies, `response_action` on the modal stack,
options for external selects, `response_url` targets).
"""

from __future__ import annotations

import time
from typing import Any

from bot.i18n import N_, _, using
from playground.bot_link import BotAnswer, BotLink
from playground.slack.errors import SlackError
from playground.slack.workspace import APP_ID, TEAM_ID, Workspace

SLACKBOT = "USLACKBOT"


class Interactions:
    def __init__(self, workspace: Workspace, bot: BotLink, base_url: str) -> None:
        self.ws = workspace
        self.bot = bot
        self.base_url = base_url

    # --- payload pieces -------------------------------------------------------------------------

    def _user(self, user_id: str) -> dict:
        person = self.ws.person_json(user_id)
        return {"id": user_id, "username": person["name"], "name": person["name"],
                "team_id": TEAM_ID}

    def _envelope(self, kind: str, user_id: str) -> dict[str, Any]:
        return {"type": kind, "team": {"id": TEAM_ID, "domain": "playground"},
                "user": self._user(user_id), "api_app_id": APP_ID, "token": "unused",
                "is_enterprise_install": False, "enterprise": None}

    def _complain(self, user_id: str, channel: str, what: str, answer: BotAnswer) -> None:
        """Slack's own words when the bot fails to answer (in the person's Slack language),
        plus the reason on the page's log."""
        code = answer.error or "dispatch_failed"
        with using(self.ws.locales.get(user_id)):
            words = _('{what} failed with the error "{code}"', what=_(what), code=code)
        self.ws.post(channel, words, None, author=SLACKBOT, ephemeral_to=user_id)
        self.ws.notice("error", _failure_detail(what, answer), user_id)

    # --- slash commands ---------------------------------------------------------------------

    async def command(self, user_id: str, channel: str, text: str) -> BotAnswer:
        command, _, rest = text.strip().partition(" ")
        channel = self.ws.resolve_channel(channel)
        self.ws.post(channel, text.strip(), None, author=user_id, ephemeral_to=user_id,
                     note="command")
        fields = {
            "token": "unused", "team_id": TEAM_ID, "team_domain": "playground",
            "channel_id": channel, "channel_name": self.ws.channels.get(channel, "directmessage"),
            "user_id": user_id, "user_name": self.ws.person_json(user_id)["name"],
            "command": command, "text": rest.strip(), "api_app_id": APP_ID,
            "is_enterprise_install": "false",
            "response_url": self.ws.issue_response_url(self.base_url, user_id, channel),
            "trigger_id": self.ws.issue_trigger(user_id),
        }
        target = self.ws.response_urls[fields["response_url"].rsplit("/", 1)[1]]
        answer = await self.bot.send_form(fields)
        if answer.error:
            self._complain(user_id, channel, command, answer)
            return answer
        data = answer.json
        reply = None
        if data.get("text") or data.get("blocks"):
            in_channel = data.get("response_type") == "in_channel"
            reply = self.ws.post(channel, data.get("text", ""), data.get("blocks"),
                                 ephemeral_to=None if in_channel else user_id,
                                 attachments=data.get("attachments"))
        elif answer.body.strip() and not data:
            reply = self.ws.post(channel, answer.body, None, ephemeral_to=user_id)
        if reply is not None:  # what `replace_original` on this response_url replaces
            target.message_ts = reply.ts
        return answer

    # --- clicks and choices -------------------------------------------------------------------

    async def action(
        self, user_id: str, action: dict, *, channel: str | None = None,
        message_ts: str | None = None, view_id: str | None = None,
        state: dict | None = None,
    ) -> BotAnswer:
        """A click on a button, or a choice in a select, overflow, date picker … anywhere."""
        payload = self._envelope("block_actions", user_id)
        payload["trigger_id"] = self.ws.issue_trigger(user_id)
        payload["actions"] = [{**action, "action_ts": f"{time.time():.6f}"}]
        if view_id is not None:
            view = self.ws.set_state(view_id, state or {})
            payload["view"] = view
            payload["container"] = {"type": "view", "view_id": view_id}
        elif channel is not None and message_ts is not None:
            message = self.ws.find_message(channel, message_ts)
            if message is None:
                raise SlackError("message_not_found")
            payload["channel"] = {"id": message.channel,
                                  "name": self.ws.channels.get(message.channel, "directmessage")}
            payload["container"] = {"type": "message", "message_ts": message.ts,
                                    "channel_id": message.channel,
                                    "is_ephemeral": message.ephemeral_to is not None}
            if message.ephemeral_to is None:
                payload["message"] = {"type": "message", "ts": message.ts, "text": message.text,
                                      "blocks": message.blocks, "user": message.author}
            payload["state"] = {"values": state or {}}
            payload["response_url"] = self.ws.issue_response_url(
                self.base_url, user_id, message.channel, message.ts,
                ephemeral=message.ephemeral_to is not None,
            )
        else:
            raise SlackError("invalid_arguments", "an action needs a message or a view")
        answer = await self.bot.send_payload(payload)
        if answer.error:
            where = channel if channel and message_ts else self.ws.dm_channel(user_id)
            self._complain(user_id, where, N_("That action"), answer)
        return answer

    async def suggest(
        self, user_id: str, view_id: str | None, block_id: str, action_id: str, value: str,
        state: dict | None = None,
    ) -> list[dict]:
        """Options for an external select as the person types (a `block_suggestion`)."""
        payload = self._envelope("block_suggestion", user_id)
        payload.update({"action_id": action_id, "block_id": block_id, "value": value})
        if view_id is not None:
            payload["view"] = self.ws.set_state(view_id, state or {})
            payload["container"] = {"type": "view", "view_id": view_id}
        answer = await self.bot.send_payload(payload)
        if answer.error:
            self.ws.notice("error", _failure_detail("Options", answer), user_id)
            return []
        data = answer.json
        if "option_groups" in data:
            return [{"label": g.get("label"), "options": g.get("options", [])}
                    for g in data["option_groups"]]
        return [{"label": None, "options": data.get("options", [])}]

    # --- modals -------------------------------------------------------------------------------

    async def submit(self, user_id: str, view_id: str, state: dict) -> dict[str, Any]:
        """Submits the top modal; applies the bot's `response_action` to the stack."""
        top = self.ws.top_modal(user_id)
        if top is None or top["id"] != view_id:
            raise SlackError("not_found", "that modal is no longer open")
        view = self.ws.set_state(view_id, state)
        self.ws.view_errors.pop(view_id, None)  # a new submission clears the old errors
        payload = self._envelope("view_submission", user_id)
        payload.update({"trigger_id": self.ws.issue_trigger(user_id), "view": view,
                        "response_urls": []})
        answer = await self.bot.send_payload(payload)
        if answer.error:
            with using(self.ws.locales.get(user_id)):
                self.ws.view_errors[view_id] = {"": _("We had some trouble connecting. Try again?")}
            self.ws.notice("error", _failure_detail("Submitting the modal", answer), user_id)
            return {"response_action": "failed"}
        data = answer.json
        try:
            kind = self.ws.apply_submission(user_id, view_id, data)
        except SlackError as error:
            detail = f" ({error.detail})" if error.detail else ""
            self.ws.notice(
                "error",
                f"Slack refused the bot's answer to the submission: `{error.code}`{detail}.",
                user_id,
            )
            return {"response_action": "failed"}
        return {"response_action": kind}

    async def close(
        self, user_id: str, view_id: str, state: dict | None = None, *, everything: bool = False
    ) -> None:
        """The close button or Back pops the top view; × (or clear_on_close) closes them all."""
        top = self.ws.top_modal(user_id)
        if top is None or top["id"] != view_id:
            return
        if state is not None:
            self.ws.set_state(view_id, state)
        everything = everything or bool(top.get("clear_on_close"))
        closed = self.ws.pop_modal(user_id, everything=everything)
        if top.get("notify_on_close"):
            payload = self._envelope("view_closed", user_id)
            payload.update({"view": closed[0], "is_cleared": everything})
            answer = await self.bot.send_payload(payload)
            if answer.error:
                self.ws.notice("error", _failure_detail("view_closed", answer), user_id)

    # --- events -------------------------------------------------------------------------------

    async def user_changed(self, user_id: str) -> BotAnswer:
        """`user_change`, sent when a person's profile (language, time zone) changes."""
        event = {"type": "user_change", "user": self.ws.person_json(user_id),
                 "event_ts": f"{time.time():.6f}"}
        envelope = {
            "token": "unused", "team_id": TEAM_ID, "api_app_id": APP_ID, "event": event,
            "type": "event_callback", "event_id": f"Ev{time.time_ns()}",
            "event_time": int(time.time()), "authorizations": [],
        }
        answer = await self.bot.send_event(envelope)
        if answer.error and answer.status != 404:
            self.ws.notice("error", _failure_detail("user_change", answer), user_id)
        return answer

    async def open_home(self, user_id: str) -> BotAnswer:
        """`app_home_opened`, sent when a person opens the app's Home tab."""
        event: dict[str, Any] = {
            "type": "app_home_opened", "user": user_id, "channel": self.ws.dm_channel(user_id),
            "tab": "home", "event_ts": f"{time.time():.6f}",
        }
        home = self.ws.views.get(self.ws.home.get(user_id, ""))
        if home is not None:
            event["view"] = home
        envelope = {
            "token": "unused", "team_id": TEAM_ID, "api_app_id": APP_ID, "event": event,
            "type": "event_callback", "event_id": f"Ev{time.time_ns()}",
            "event_time": int(time.time()), "authorizations": [],
        }
        answer = await self.bot.send_event(envelope)
        if answer.error and answer.status != 404:
            self.ws.notice("error", _failure_detail("app_home_opened", answer), user_id)
        return answer


def _failure_detail(what: str, answer: BotAnswer) -> str:
    if answer.error == "operation_timeout":
        return (f"{what}: the bot did not answer within 3 seconds, so Slack would have shown "
                "an error.")
    if answer.status:
        return f"{what}: the bot answered HTTP {answer.status}: {answer.body[:200]}"
    return f"{what}: the bot could not be reached ({answer.error})."

"""A small flow registered on the playground's bot in tests: every input type, a typeahead,
errors, push, update, clear, a status card with buttons and an approval by someone else.

It stands in for the real flows (being written) so the playground's Slack side can be proven
now, through bolt, exactly as those flows will use it.
"""

from __future__ import annotations

import json

from slack_bolt.async_app import AsyncApp

from bot.slack.access import anyone
from handlers.router import CommandCall, Router, Subcommand

DEMO = "demo"
FORM = "demo_form"
CONFIRM = "demo_confirm"
TENANT_ACTION = "demo_tenant"
FILL_ACTION = "demo_fill"
APPROVE_ACTION = "demo_approve"
MENU_ACTION = "demo_menu"
TENANTS = ["contoso.onmicrosoft.com", "nordwind.onmicrosoft.com", "fabrikam.onmicrosoft.com"]


def _plain(text: str) -> dict:
    return {"type": "plain_text", "text": text}


def _option(text: str, value: str | None = None) -> dict:
    return {"text": _plain(text), "value": value or text}


def form_view(channel: str, *, seats: str | None = None) -> dict:
    seats_element: dict = {"type": "number_input", "action_id": "value",
                           "is_decimal_allowed": False, "min_value": "1", "max_value": "300"}
    if seats is not None:
        seats_element["initial_value"] = seats
    return {
        "type": "modal", "callback_id": FORM, "private_metadata": json.dumps({"channel": channel}),
        "title": {"type": "plain_text", "text": "Demo order"},
        "submit": {"type": "plain_text", "text": "Next"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            {"type": "section", "block_id": "intro",
             "text": {"type": "mrkdwn", "text": "Order *licenses* for a tenant."},
             "accessory": {"type": "button", "action_id": FILL_ACTION,
                           "text": {"type": "plain_text", "text": "Fill example"},
                           "value": "fill"}},
            {"type": "input", "block_id": "tenant", "label": _plain("Tenant"),
             "element": {"type": "external_select", "action_id": TENANT_ACTION,
                         "min_query_length": 1,
                         "placeholder": {"type": "plain_text", "text": "Search tenants"}}},
            {"type": "input", "block_id": "license", "label": _plain("License"),
             "element": {"type": "static_select", "action_id": "value",
                         "options": [_option("Microsoft 365 E3", "e3"),
                                     _option("Microsoft 365 E5", "e5")]}},
            {"type": "input", "block_id": "seats", "label": _plain("Seats"),
             "element": seats_element},
            {"type": "input", "block_id": "email", "optional": True,
             "label": _plain("Contact email"),
             "element": {"type": "email_text_input", "action_id": "value"}},
            {"type": "input", "block_id": "billing", "label": _plain("Billing"),
             "element": {"type": "radio_buttons", "action_id": "value",
                         "options": [_option("Monthly", "P1M"), _option("Yearly", "P1Y")]}},
            {"type": "input", "block_id": "start", "optional": True,
             "label": _plain("Start"),
             "element": {"type": "datepicker", "action_id": "value"}},
            {"type": "input", "block_id": "note", "optional": True,
             "label": _plain("Note"),
             "hint": {"type": "plain_text", "text": "Shown to the approver."},
             "element": {"type": "plain_text_input", "action_id": "value", "multiline": True}},
            {"type": "input", "block_id": "terms", "label": _plain("Terms"),
             "element": {"type": "checkboxes", "action_id": "value",
                         "options": [_option("I have the customer's consent", "consent")]}},
        ],
    }


def confirm_view(summary: dict, metadata: str) -> dict:
    return {
        "type": "modal", "callback_id": CONFIRM, "private_metadata": metadata,
        "title": {"type": "plain_text", "text": "Confirm order"},
        "submit": {"type": "plain_text", "text": "Confirm"},
        "close": {"type": "plain_text", "text": "Back"},
        "blocks": [{"type": "section", "fields": [
            {"type": "mrkdwn", "text": f"*Tenant*\n{summary['tenant']}"},
            {"type": "mrkdwn", "text": f"*Seats*\n{summary['seats']}"},
        ]}],
    }


def card_blocks(summary: dict, requester: str, decided_by: str | None = None) -> list[dict]:
    head = {"type": "section", "text": {"type": "mrkdwn", "text": (
        f"*Order* {summary['seats']} × {summary['license']} for {summary['tenant']}, "
        f"asked by <@{requester}>")}}
    if decided_by:
        return [head, {"type": "context", "elements": [
            {"type": "mrkdwn", "text": f":white_check_mark: Approved by <@{decided_by}>"}]}]
    return [head, {"type": "actions", "block_id": "decide", "elements": [
        {"type": "button", "action_id": APPROVE_ACTION, "style": "primary",
         "text": {"type": "plain_text", "text": "Approve"},
         "value": json.dumps({**summary, "requester": requester}),
         "confirm": {"title": {"type": "plain_text", "text": "Approve?"},
                     "text": {"type": "mrkdwn", "text": "The order is *sent* at once."},
                     "confirm": {"type": "plain_text", "text": "Approve"},
                     "deny": {"type": "plain_text", "text": "Not yet"}}},
        {"type": "overflow", "action_id": MENU_ACTION,
         "options": [_option("Details", "details"), _option("Withdraw", "withdraw")]},
    ]}]


def register(app: AsyncApp, router: Router) -> list[dict]:
    """Registers the demo; returns a list where the listeners record what they received."""
    seen: list[dict] = []

    async def open_form(call: CommandCall) -> None:
        await call.ack()
        await call.client.views_open(trigger_id=call.trigger_id, view=form_view(call.channel_id))

    router.add(Subcommand(DEMO, "Try every kind of input.", "/csp demo", open_form,
                               access=anyone("a test subcommand")))

    @app.options(TENANT_ACTION)
    async def tenants(ack, body):
        seen.append({"suggest": body["value"]})
        query = body["value"].lower()
        await ack(options=[_option(t) for t in TENANTS if query in t])

    @app.action(FILL_ACTION)
    async def fill(ack, body, client):
        await ack()
        view = body["view"]
        metadata = json.loads(view["private_metadata"])
        await client.views_update(view_id=view["id"], hash=view["hash"],
                                  view=form_view(metadata["channel"], seats="12"))

    @app.view(FORM)
    async def submit_form(ack, body, view):
        values = view["state"]["values"]
        seen.append({"submitted": values})
        seats = int(values["seats"]["value"]["value"])
        if seats > 100:
            await ack(response_action="errors",
                      errors={"seats": "At most 100 seats can be ordered here."})
            return
        summary = {"tenant": values["tenant"][TENANT_ACTION]["selected_option"]["value"],
                   "license": values["license"]["value"]["selected_option"]["value"],
                   "seats": seats}
        metadata = json.dumps({**json.loads(view["private_metadata"]), **summary})
        await ack(response_action="push", view=confirm_view(summary, metadata))

    @app.view(CONFIRM)
    async def confirm(ack, body, view, client):
        await ack(response_action="clear")
        data = json.loads(view["private_metadata"])
        await client.chat_postMessage(
            channel=data["channel"], text="Order waiting for approval",
            blocks=card_blocks(data, body["user"]["id"]),
        )

    @app.action(APPROVE_ACTION)
    async def approve(ack, body, client, respond):
        await ack()
        data = json.loads(body["actions"][0]["value"])
        user = body["user"]["id"]
        if user == data["requester"]:
            await respond(text="You cannot approve your own order.", response_type="ephemeral",
                          replace_original=False)
            return
        await client.chat_update(
            channel=body["channel"]["id"], ts=body["message"]["ts"], text="Order approved",
            blocks=card_blocks(data, data["requester"], user),
        )

    @app.action(MENU_ACTION)
    async def menu(ack, body, respond):
        await ack()
        choice = body["actions"][0]["selected_option"]["value"]
        seen.append({"menu": choice})
        await respond(text=f"You chose {choice}.", response_type="ephemeral",
                      replace_original=False)

    return seen

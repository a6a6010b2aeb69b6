"""Block Kit fixtures for the renderer, one per block type, with what a person must see.

Each fixture is posted (or opened) through the Web API the way the bot does it; the browser
tests then look for `expect` — (CSS selector inside the rendered message, text it contains).
"""

from __future__ import annotations

from dataclasses import dataclass, field

MARCH = 1930377900  # 2031-03-04 08:05 UTC = Tuesday 09:05 in Paris
JULY_NIGHT = 1940970600  # 2031-07-04 22:30 UTC = Saturday 5 July 00:30 in Paris


def mrkdwn(text: str) -> dict:
    return {"type": "mrkdwn", "text": text}


def plain(text: str) -> dict:
    return {"type": "plain_text", "text": text, "emoji": True}


def option(text: str, value: str) -> dict:
    return {"text": plain(text), "value": value}


@dataclass
class Fixture:
    name: str
    blocks: list[dict]
    expect: list[tuple[str, str]]
    absent: list[str] = field(default_factory=list)  # selectors that must not appear
    attachments: list[dict] | None = None


MESSAGE_FIXTURES = [
    Fixture("section-mrkdwn", [{"type": "section", "text": mrkdwn(
        "*bold* _italic_ ~struck~ `code` <https://example.com/docs|the docs> <@U0SAM> "
        "<#C0APPROVALS> <!here> 3 &lt; 4 &amp; 5 &gt; 2 :white_check_mark:\n"
        "&gt; a quoted line\n```a\n  block```"
        " <img src=x onerror=alert(1)>")}],
        [("b", "bold"), ("i", "italic"), ("s", "struck"), ("code", "code"),
         ("a[href='https://example.com/docs']", "the docs"), (".mention >> nth=0", "@Sam"),
         (".mention >> nth=1", "#approvals"), (".mention >> nth=2", "@here"),
         (".section-text", "3 < 4 & 5 > 2 ✅"), ("blockquote", "a quoted line"),
         ("pre", "a\n  block")],
        absent=["img", "script"]),
    Fixture("message-link", [{"type": "section", "text": mrkdwn(
        "See the <https://slack.com/archives/C0APPROVALS/p1795300000000100|card>.")}],
        [("a.message-link[href='?where=C0APPROVALS#1795300000.000100']", "card")]),
    Fixture("section-fields-accessory", [{"type": "section", "text": mrkdwn("*Subscription*"),
        "fields": [mrkdwn("*Tenant*\ncontoso"), mrkdwn("*Seats*\n10 → 12"),
                   plain("Monthly")],
        "accessory": {"type": "button", "action_id": "acc", "text": plain("Open"),
                      "value": "1"}}],
        [(".field >> nth=0", "Tenant"), (".field >> nth=1", "10 → 12"),
         (".field >> nth=2", "Monthly"), (".accessory button", "Open")]),
    Fixture("header", [{"type": "header", "text": plain("Seat change for contoso")}],
            [("h3", "Seat change for contoso")]),
    Fixture("context", [{"type": "context", "elements": [
        mrkdwn("Requested by <@U0ALICE>"), plain("plain words"),
        {"type": "image", "image_url": "https://example.com/i.png", "alt_text": "logo"}]}],
        [(".block-context", "Requested by @Alice"), (".block-context", "plain words"),
         (".img-chip", "logo")]),
    Fixture("divider", [{"type": "section", "text": mrkdwn("above")}, {"type": "divider"},
                        {"type": "section", "text": mrkdwn("below")}],
            [(".block-divider", ""), (".block-section >> nth=1", "below")]),
    Fixture("actions", [{"type": "actions", "block_id": "acts", "elements": [
        {"type": "button", "action_id": "ok", "text": plain("Approve"), "style": "primary",
         "value": "1"},
        {"type": "button", "action_id": "no", "text": plain("Reject"), "style": "danger",
         "value": "2"},
        {"type": "overflow", "action_id": "more",
         "options": [option("Details", "d"), option("Withdraw", "w")]},
        {"type": "static_select", "action_id": "pick", "placeholder": plain("Pick a tenant"),
         "options": [option("contoso", "c"), option("nordwind", "n")]},
        {"type": "external_select", "action_id": "find", "placeholder": plain("Search")},
        {"type": "datepicker", "action_id": "when", "initial_date": "2031-03-04"},
    ]}],
        [("button.btn.primary", "Approve"), ("button.btn.danger", "Reject"),
         ("select option >> nth=1", "contoso")]),
    Fixture("date-tokens", [{"type": "section", "text": mrkdwn(
        f"Deadline <!date^{MARCH}^{{date_short_pretty}} {{time}}|2031-03-04 08:05 UTC>; "
        f"long <!date^{MARCH}^{{date_long}}|x>; "
        f"night <!date^{JULY_NIGHT}^{{date_num}} {{time}}|2031-07-04 22:30 UTC>; "
        "bad <!date^notanumber^{date}|the fallback>")}],
        [("time >> nth=0", "Mar 4, 2031 9:05 AM"),
         ("time >> nth=1", "Tuesday, March 4th, 2031"),
         ("time >> nth=2", "2031-07-05 12:30 AM"),
         ("time >> nth=3", "the fallback")]),
    Fixture("image", [{"type": "image", "image_url": "https://example.com/chart.png",
                       "alt_text": "usage chart", "title": plain("Usage")}],
            [(".image-placeholder", "usage chart"), (".image-title", "Usage")]),
    Fixture("rich-text", [{"type": "rich_text", "elements": [
        {"type": "rich_text_section", "elements": [
            {"type": "text", "text": "Hello "}, {"type": "text", "text": "team",
                                                "style": {"bold": True}}]},
        {"type": "rich_text_list", "style": "bullet", "elements": [
            {"type": "rich_text_section", "elements": [{"type": "text", "text": "first"}]},
            {"type": "rich_text_section", "elements": [{"type": "text", "text": "second"}]}]},
    ]}], [(".rt-section b", "team"), ("li >> nth=1", "second")]),
    Fixture("unknown-block", [{"type": "video", "title": plain("A demo video"),
                               "video_url": "https://example.com/v"}],
            [(".raw-block", "Not rendered by the playground: video block"),
             (".raw-block pre", '"video_url": "https://example.com/v"')]),
    Fixture("attachment", [], [(".attachment", "Legacy attachment text")],
            attachments=[{"color": "#2eb67d", "text": "Legacy attachment text"}]),
]


FORM_MODAL = {
    "type": "modal", "callback_id": "fixture_form", "title": plain("Every input"),
    "submit": plain("Send"), "close": plain("Cancel"),
    "blocks": [
        {"type": "input", "block_id": "name", "label": plain("Name"),
         "hint": plain("As on the invoice."),
         "element": {"type": "plain_text_input", "action_id": "v", "min_length": 2}},
        {"type": "input", "block_id": "note", "label": plain("Note"), "optional": True,
         "element": {"type": "plain_text_input", "action_id": "v", "multiline": True}},
        {"type": "input", "block_id": "seats", "label": plain("Seats"),
         "element": {"type": "number_input", "action_id": "v", "is_decimal_allowed": False,
                     "min_value": "1", "max_value": "300"}},
        {"type": "input", "block_id": "email", "label": plain("Email"),
         "element": {"type": "email_text_input", "action_id": "v"}},
        {"type": "input", "block_id": "license", "label": plain("License"),
         "element": {"type": "static_select", "action_id": "v",
                     "option_groups": [{"label": plain("Business"),
                                        "options": [option("Business Basic", "bb")]},
                                       {"label": plain("Enterprise"),
                                        "options": [option("E3", "e3"), option("E5", "e5")]}]}},
        {"type": "input", "block_id": "tenant", "label": plain("Tenant"),
         "element": {"type": "external_select", "action_id": "v"}},
        {"type": "input", "block_id": "flags", "label": plain("Flags"), "optional": True,
         "element": {"type": "checkboxes", "action_id": "v", "options": [
             {**option("Auto-renew", "renew"), "description": plain("Renews every term")}]}},
        {"type": "input", "block_id": "term", "label": plain("Term"),
         "element": {"type": "radio_buttons", "action_id": "v",
                     "initial_option": option("Monthly", "P1M"),
                     "options": [option("Monthly", "P1M"), option("Yearly", "P1Y")]}},
        {"type": "input", "block_id": "start", "label": plain("Start"), "optional": True,
         "element": {"type": "datepicker", "action_id": "v"}},
    ],
}

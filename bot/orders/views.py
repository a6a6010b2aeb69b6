"""The order modal (an existing license group, or a new one) and the words of its confirmation.

Pure: the choices come from `bot.orders.plans` (the cache), the values to keep from the modal's
state.
Every input keeps its block id while it exists, so Slack keeps what was typed across updates;
the values are also set as initial values, so a rebuilt modal shows them whatever the client.
"""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    EmailInputElement,
    ExternalDataSelectElement,
    InputBlock,
    Option,
    OptionGroup,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.core.blocks import TITLE_LIMIT, date_token, escape, mrkdwn, plain
from bot.core.domain import License
from bot.core.formats import number
from bot.core.i18n import _, ngettext
from bot.core.ids import BlockId, OptionsAction, OrderAction, OrderBlock, OrderCallback
from bot.orders.choices import Catalogue, GroupChoices, LinePrefill
from bot.orders.form import (
    MAX_LINES,
    NEW_GROUP_BLOCKS,
    NOTE_MAX,
    LineField,
    OrderMeta,
    OrderMode,
    line_block,
)
from bot.reference.countries import COUNTRIES, FIRST, initial
from bot.slack.state import ViewState

OPTION_LIMIT = 75
HINT_LIMIT = 2000


def _option(text: str, value: str) -> Option:
    """An option whose label may hold provider names: escaped, then cut to Slack's limit."""
    return Option(text=plain(escape(text), OPTION_LIMIT), value=value)


def _context(text: str, block_id: str | None = None) -> ContextBlock:
    return ContextBlock(block_id=block_id, elements=[mrkdwn(text)])


# --- the modal -------------------------------------------------------------------------------


def order_modal(
    meta: OrderMeta,
    lines: Sequence[LinePrefill],
    *,
    choices: GroupChoices | Catalogue | None,
    tenant_label: str | None = None,
    state: ViewState | None = None,
    notice: str | None = None,
) -> View:
    """The order modal in `meta.mode`. `lines` come from `bot.orders.plans.prefill_lines`
    (their keys are the ones in `meta`); `tenant_label` names the chosen group for its select;
    `notice` says, at the top, what of the command's words could not be used."""
    state = state or ViewState({})
    blocks: list[Block] = []
    if notice:
        blocks.append(ContextBlock(block_id=OrderBlock.NOTICE,
                                   elements=[mrkdwn(f":warning: {notice}")]))
    if meta.mode is OrderMode.NEW_GROUP:
        blocks.extend(_new_group_blocks(state, choices))
        title = _("Order a license group")
    else:
        blocks.extend(_existing_group_blocks(meta, choices, tenant_label))
        title = _("Order licenses")
    if choices is not None and choices.offered():
        blocks.extend(_line_blocks(meta, lines, choices))
    blocks.append(
        InputBlock(
            block_id=OrderBlock.NOTE,
            # Translators: the requester's note to the approvers (a noun).
            label=plain(_("Note")),
            optional=True,
            hint=plain(_("Kept with the request; approvers see it.")),
            element=PlainTextInputElement(
                action_id=OrderAction.FIELD,
                multiline=True,
                max_length=NOTE_MAX,
                initial_value=state.get(OrderBlock.NOTE),
            ),
        )
    )
    return View(
        type="modal",
        callback_id=OrderCallback.FORM,
        private_metadata=meta.dump(),
        title=plain(title, TITLE_LIMIT),
        submit=plain(_("Review order")),
        close=plain(_("Cancel")),
        blocks=blocks,
    )


def _existing_group_blocks(
    meta: OrderMeta, choices: GroupChoices | Catalogue | None, tenant_label: str | None
) -> list[Block]:
    initial = None
    if meta.tenant and tenant_label:
        initial = _option(tenant_label, meta.tenant)
    blocks: list[Block] = [
        SectionBlock(
            block_id=OrderBlock.MODE,
            text=mrkdwn(_("Licenses for one of your license groups.")),
            accessory=ButtonElement(
                text=plain(_("New license group…")), action_id=OrderAction.NEW_GROUP
            ),
        ),
        InputBlock(
            block_id=BlockId.TENANT,
            label=plain(_("License group")),
            dispatch_action=True,
            element=ExternalDataSelectElement(
                action_id=OptionsAction.TENANT,
                placeholder=plain(_("Type a customer or service name")),
                initial_option=initial,
                min_query_length=0,
            ),
        ),
    ]
    if not isinstance(choices, GroupChoices):
        blocks.append(
            _context(
                _("Choose the license group: what can be ordered there appears below."),
                OrderBlock.LINES_HINT,
            )
        )
    elif not choices.decision.allowed:
        blocks.append(
            _context(":no_entry: " + escape(choices.decision.reason), OrderBlock.LINES_HINT)
        )
    elif not choices.offered():
        blocks.append(
            _context(
                _(
                    "Nothing can be ordered in {group} right now: every license is closed to "
                    "new subscriptions or at its limit.",
                    group=escape(choices.label),
                ),
                OrderBlock.LINES_HINT,
            )
        )
    else:
        blocks.append(
            _context(
                _(
                    "Offered: the licenses {group} is open to, with room under their limit "
                    "(as of {when}). Add-ons are ordered on one of the group's subscriptions.",
                    group=escape(choices.label),
                    when=date_token(choices.tenant.synced_at),
                ),
                OrderBlock.LINES_HINT,
            )
        )
    return blocks


def _new_group_blocks(state: ViewState, choices: GroupChoices | Catalogue | None) -> list[Block]:
    def text_input(
        block: str,
        label: str,
        *,
        optional: bool = False,
        hint: str | None = None,
        placeholder: str | None = None,
        max_length: int = 255,
    ) -> InputBlock:
        return InputBlock(
            block_id=block,
            label=plain(label),
            optional=optional,
            hint=plain(hint[:HINT_LIMIT]) if hint else None,
            element=PlainTextInputElement(
                action_id=OrderAction.FIELD,
                max_length=max_length,
                placeholder=plain(placeholder) if placeholder else None,
                initial_value=state.get(block),
            ),
        )

    b = NEW_GROUP_BLOCKS
    email = state.get(b["email"])
    country = state.get(b["country"])
    blocks: list[Block] = [
        SectionBlock(
            block_id=OrderBlock.MODE,
            text=mrkdwn(
                _("A *new license group*: a new Microsoft 365 tenant for an end customer.")
            ),
            accessory=ButtonElement(
                text=plain(_("Existing group…")), action_id=OrderAction.EXISTING_GROUP
            ),
        ),
        text_input(
            b["mpn_id"],
            _("MPN ID"),
            max_length=20,
            placeholder=_("e.g. 6180342"),
            hint=_(
                "Since 1 July 2022 Microsoft disables license groups without an MPN "
                'ID enrolled as "indirect reseller": enter your company\'s, 6 to 10 '
                "digits."
            ),
        ),
        text_input(b["display_name"], _("Customer's company name"), optional=True),
        text_input(
            b["subdomain"],
            _("Custom subdomain"),
            optional=True,
            max_length=80,
            placeholder=_("e.g. nordwind-logistics"),
            hint=_(
                "The customer's <name>.onmicrosoft.com, if still free; letters, "
                "digits and hyphens. Leave empty to let OVHcloud choose."
            ),
        ),
        SectionBlock(text=mrkdwn("*" + _("End customer's contact") + "*")),
        text_input(b["first_name"], _("First name")),
        text_input(b["last_name"], _("Last name")),
        InputBlock(
            block_id=b["email"],
            label=plain(_("Email")),
            hint=plain(
                _(
                    "⚠️ Microsoft sends the admin credentials of the new tenant to this "
                    "address: check it twice."
                )
            ),
            element=EmailInputElement(action_id=OrderAction.FIELD, initial_value=email),
        ),
        text_input(
            b["phone"],
            _("Phone"),
            max_length=40,
            placeholder=_("+31 10 234 5678"),
            hint=_("International format: + and the country code."),
        ),
        text_input(b["address"], _("Address")),
        text_input(b["city"], _("City")),
        text_input(b["zip_code"], _("Zip code"), max_length=12),
        InputBlock(
            block_id=b["country"],
            label=plain(_("Country")),
            element=StaticSelectElement(
                action_id=OrderAction.FIELD,
                placeholder=plain(_("Choose a country")),
                option_groups=country_groups(),
                initial_option=(
                    _option(f"{COUNTRIES[country]} ({country})", country)
                    if country is not None and country in COUNTRIES
                    else None
                ),
            ),
        ),
        SectionBlock(text=mrkdwn("*" + _("Licenses") + "*")),
    ]
    if choices is not None and choices.offered():
        blocks.append(
            _context(
                _(
                    "A new group has no list of orderable licenses yet, so these are the "
                    "licenses your existing groups are open to (add-ons excluded: order them "
                    "once the group exists)."
                )
            )
        )
    else:
        blocks.append(
            _context(
                _("The bot knows no licenses yet: run `/csp sync`, then open this form again."),
                OrderBlock.LINES_HINT,
            )
        )
    return blocks


def country_groups() -> list[OptionGroup]:
    """Every ISO 3166 country in the reader's language: NL, DE, PT, IT and FR first, then the
    rest by initial in the language's order (`bot.reference.countries`; a static select holds
    100 options a group)."""
    groups: dict[str, list[Option]] = {}
    for code, name in COUNTRIES.items():
        label = " · ".join(FIRST) if code in FIRST else initial(name)
        groups.setdefault(label, []).append(_option(f"{name} ({code})", code))
    return [OptionGroup(label=plain(label), options=opts) for label, opts in groups.items()]


def _license_text(lic: License, choices: GroupChoices | Catalogue) -> str:
    """A license as the select offers it: its name, whether it is an add-on, and how many more
    seats its limit leaves in the group."""
    if isinstance(choices, GroupChoices) and lic.limit is not None:
        left = lic.limit - choices.seats_of(lic.id)
        if lic.is_addon:
            return ngettext("{name} (add-on) — {n} more allowed",
                            "{name} (add-on) — {n} more allowed", left, name=lic.name)
        return ngettext("{name} — {n} more allowed", "{name} — {n} more allowed", left,
                        name=lic.name)
    if lic.is_addon:
        return _("{name} (add-on)", name=lic.name)
    return lic.name


def _line_blocks(
    meta: OrderMeta, lines: Sequence[LinePrefill], choices: GroupChoices | Catalogue
) -> list[Block]:
    offered = choices.offered()
    options = {lic.id: _option(_license_text(lic, choices), str(lic.id)) for lic in offered}
    several = len(lines) > 1
    existing = isinstance(choices, GroupChoices)
    blocks: list[Block] = []
    for position, line in enumerate(lines, start=1):
        # Translators: the label of one line of the order (which license, then how many).
        label = _("License {n}", n=position) if several else _("License")
        initial = options.get(line.license.id) if line.license else None
        blocks.append(
            InputBlock(
                block_id=line_block(LineField.LICENSE, line.key),
                label=plain(label),
                dispatch_action=existing,
                element=StaticSelectElement(
                    action_id=OrderAction.LICENSE,
                    placeholder=plain(_("Choose a license")),
                    options=list(options.values()),
                    initial_option=initial,
                ),
            )
        )
        if existing and line.is_addon and line.parents:
            blocks.append(_parent_block(line))
        elif existing and line.is_addon and line.no_parent:
            blocks.append(_context(f":warning: {escape(line.no_parent)}",
                                   line_block(OrderBlock.LINE_NOTE, line.key)))
        blocks.append(
            InputBlock(
                block_id=line_block(LineField.QUANTITY, line.key),
                label=plain(_("Quantity")),
                hint=_quantity_hint(line, choices),
                element=PlainTextInputElement(
                    action_id=OrderAction.QUANTITY,
                    placeholder=plain(_("e.g. 5")),
                    max_length=10,
                    initial_value=line.quantity,
                ),
            )
        )
        if several:
            blocks.append(
                ActionsBlock(
                    block_id=line_block(OrderBlock.LINE_TOOLS, line.key),
                    elements=[
                        ButtonElement(
                            text=plain(_("Remove license {n}", n=position)),
                            action_id=OrderAction.REMOVE_LINE,
                            value=line.key,
                        )
                    ],
                )
            )
    if len(meta.lines) < MAX_LINES:
        blocks.append(
            ActionsBlock(
                block_id=OrderBlock.ADD_LINE,
                elements=[
                    ButtonElement(text=plain(_("Add a license")), action_id=OrderAction.ADD_LINE)
                ],
            )
        )
    return blocks


def _parent_block(line: LinePrefill) -> InputBlock:
    options = [
        _option(
            ngettext(
                "{license} · {id} · {n} seat",
                "{license} · {id} · {n} seats",
                p.quantity,
                license=p.license_name or p.license_id,
                id=p.id,
            ),
            str(p.id),
        )
        for p in line.parents[:100]
    ]
    initial = next((o for o in options if o.value == str(line.parent_id)), None)
    return InputBlock(
        block_id=line_block(LineField.PARENT, line.key),
        label=plain(_("Attach the add-on to")),
        hint=plain(_("The add-on is ordered on this subscription of the group.")),
        element=StaticSelectElement(
            action_id=OrderAction.PARENT,
            placeholder=plain(_("Choose a subscription")),
            options=options,
            initial_option=initial,
        ),
    )


def _quantity_hint(
    line: LinePrefill, choices: GroupChoices | Catalogue
) -> PlainTextObject | None:
    lic = line.license
    if lic is None or lic.limit is None:
        return None
    if isinstance(choices, GroupChoices):
        have = choices.seats_of(lic.id)
        return plain(
            _(
                "At most {left} more: {name} is limited to {limit} in this group, which "
                "has {have}.",
                left=number(max(lic.limit - have, 0)),
                name=lic.name,
                limit=number(lic.limit),
                have=number(have),
            )
        )
    return plain(_("At most {limit}.", limit=number(lic.limit)))

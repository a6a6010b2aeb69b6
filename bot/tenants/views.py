"""A license group's details (`/csp tenant`) and the modals that edit its display name, contact
and MPN ID (form → confirmation with before → after)."""

from __future__ import annotations

from urllib.parse import quote

from pydantic import Field
from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    DividerBlock,
    HeaderBlock,
    InputBlock,
    PlainTextInputElement,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.core.blocks import TITLE_LIMIT, context, date_token, escape, mrkdwn, plain, section
from bot.core.formats import day, number
from bot.core.i18n import N_, _, ngettext, pgettext
from bot.core.ids import BrowseAction, HomeAction, TenantAction, TenantEditBlock, TenantEditCallback
from bot.slack.metadata import Metadata, Text
from bot.tenants.browse import BrowseRef, TenantDetails
from bot.tenants.browse_view import Rendered, freshness_blocks, refresh_button, status_text
from bot.terms.views import term_words
from bot.usage.seats_used import billing_label, billing_period
from store.cache import CachedTenant

ADMIN_PORTAL_URL = "https://portal.office.com/Admin/Default.aspx"
#: A partner's admin-on-behalf-of session in one customer's tenant. Evidence: Partner Center's
#: "Get the managed services for a customer by ID" answers links of the form
#: `https://portal.office.com/Partner/BeginClientSession.aspx?CTID=<customer tenant id>&CSDEST=
#: <service>`; `o365admincenter` as the destination of the Microsoft 365 admin center is
#: inferred (partner tools link it so; Microsoft's example shows `Exchange`).
PARTNER_ADMIN_URL = (
    "https://portal.office.com/Partner/BeginClientSession.aspx?CTID={tenant_id}"
    "&CSDEST=o365admincenter"
)


def admin_url(customer_tenant_id: str | None) -> str:
    """The customer's own tenant in the admin center when its id is known, else the portal."""
    if customer_tenant_id:
        return PARTNER_ADMIN_URL.format(tenant_id=quote(customer_tenant_id, safe=""))
    return ADMIN_PORTAL_URL

#: The editable fields: (block id, TenantUpdate field, label, max length).
EDITABLE = (
    (TenantEditBlock.DISPLAY_NAME, "display_name", N_("Display name"), 255),
    (TenantEditBlock.FIRST_NAME, "first_name", N_("Contact first name"), 255),
    (TenantEditBlock.LAST_NAME, "last_name", N_("Contact last name"), 255),
    (TenantEditBlock.EMAIL, "email", N_("Contact email"), 255),
    (TenantEditBlock.PHONE, "phone", N_("Contact phone"), 64),
    (TenantEditBlock.ADDRESS, "address", N_("Address"), 255),
    (TenantEditBlock.CITY, "city", N_("City"), 255),
    (TenantEditBlock.ZIP_CODE, "zip_code", N_("Zip code"), 32),
    (TenantEditBlock.MPN_ID, "mpn_id", N_("MPN ID"), 10),
)
#: Subscriptions whose term the details list (a section holds 3000 characters).
TERM_LINES = 10
LABELS = {name: label for _block, name, label, _limit in EDITABLE}


# --- /csp tenant -------------------------------------------------------------------------------


def tenant_message(details: TenantDetails) -> Rendered:
    t = details.tenant
    blocks: list[Block] = [HeaderBlock(text=plain(escape(t.label), 150))]
    blocks.append(context(f"`{escape(t.service_name)}` · {status_text(t.status)}"))
    blocks += freshness_blocks(details.freshness)
    blocks.append(SectionBlock(fields=[mrkdwn(f) for f in _fields(t)]))
    if t.mpn_issue_flag:
        blocks.append(
            section(
                _(
                    ":warning: *MPN issue* `{flag}`: Microsoft requires an MPN ID enrolled "
                    "as indirect reseller; groups without a valid one are disabled. Check the "
                    "MPN ID with Edit.",
                    flag=escape(t.mpn_issue_flag),
                )
            )
        )
    seats = details.seats_by_license()
    if seats:
        lines = [_("*Seats per license*")] + [
            # Translators: e.g. "• Office 365 E3: 90 seats (5 subscriptions)".
            _("• {license}: {seats} ({subscriptions})", license=escape(name),
              seats=ngettext("{n} seat", "{n} seats", total),
              subscriptions=ngettext("{n} subscription", "{n} subscriptions", count))
            for name, count, total in seats
        ]
        blocks.append(section("\n".join(lines)))
    terms = [_("• {license} ({id}): {term}", id=sub.id, term=term_words(details.terms[sub.id]),
               license=escape(sub.license_name or str(sub.license_id)))
             for sub in details.subscriptions if sub.id in details.terms]
    if terms:  # whole lines only (a cut date token would show as raw text); `/csp subs` has all
        shown = terms[:TERM_LINES]
        if len(terms) > len(shown):
            shown.append(ngettext("… and {n} more in `/csp subs`", "… and {n} more in `/csp subs`",
                                  len(terms) - len(shown)))
        blocks.append(section(_("*Terms and renewals*") + "\n" + "\n".join(shown)))
    peaks = t.usage_peaks
    if peaks is not None and peaks.lines:
        period = billing_period(peaks, t.usage_read_at, details.freshness.now.date())
        lines = [_("*Usage peaks, {period}*", period=billing_label(period))] + [
            _("• {license}: {peak}", license=escape(line.licence_name),
              peak=number(line.peak_count))
            for line in peaks.lines
            if line.peak_count is not None
        ]
        blocks.append(section("\n".join(lines)))
    blocks.append(DividerBlock())
    blocks.append(
        SectionBlock(
            text=mrkdwn(
                _(
                    "Users, passwords and domains are managed in Microsoft's admin portal, "
                    "with the credentials sent to the contact's email."
                )
                + " "
                + (
                    _("The button opens this customer's tenant (as their partner).")
                    if details.customer_tenant_id
                    else _("OVHcloud does not say which Microsoft tenant this is: the button "
                           "opens the portal; a refund ticket naming the tenant id teaches it.")
                )
            ),
            accessory=ButtonElement(
                text=plain(_("Microsoft 365 admin")),
                url=admin_url(details.customer_tenant_id),
                action_id=BrowseAction.PORTAL,
            ),
        )
    )
    blocks.append(
        ActionsBlock(
            elements=[
                ButtonElement(
                    text=plain(pgettext("button", "Order")), action_id=HomeAction.ORDER,
                    value=t.service_name,
                    style="primary",
                ),
                ButtonElement(
                    text=plain(_("Edit")), action_id=TenantAction.EDIT, value=t.service_name
                ),
                ButtonElement(
                    text=plain(_("Subscriptions")),
                    action_id=BrowseAction.SHOW,
                    value=BrowseRef(v="subs", t=t.service_name).encode(),
                ),
                ButtonElement(
                    text=plain(_("Tasks")),
                    action_id=BrowseAction.SHOW_TASKS,
                    value=BrowseRef(v="tasks", t=t.service_name).encode(),
                ),
                ButtonElement(
                    text=plain(_("Usage chart")), action_id=BrowseAction.USAGE,
                    value=t.service_name,
                ),
                refresh_button(BrowseRef(v="tenant", t=t.service_name)),
            ]
        )
    )
    return Rendered(_("License group {group}", group=escape(t.label)), blocks)


def tenant_modal(details: TenantDetails) -> View:
    """A group's details opened from App Home: the same facts as `/csp tenant`, with Order
    (pushed on top); the rest of its buttons answer in a channel, so they stay there."""
    rendered = tenant_message(details)
    blocks = [b for b in rendered.blocks if not isinstance(b, ActionsBlock | HeaderBlock)]
    blocks.append(ActionsBlock(elements=[ButtonElement(
        text=plain(pgettext("button", "Order")), action_id=HomeAction.ORDER,
        value=details.tenant.service_name,
        style="primary",
    )]))
    blocks.append(context(_("Edit, subscriptions and tasks: `/csp tenant {name}`.",
                            name=escape(details.tenant.service_name))))
    return View(type="modal", title=plain(_("License group"), TITLE_LIMIT),
                close=plain(_("Close")), blocks=blocks)


def _fields(t: CachedTenant) -> list[str]:
    info = t.service_info
    contact = " ".join(x for x in (t.first_name, t.last_name) if x) or "—"
    contact_lines = [escape(contact), escape(t.email or "—"), escape(t.phone or "")]
    address = (
        ", ".join(x for x in (t.address, " ".join(filter(None, (t.zip_code, t.city)))) if x) or "—"
    )
    # Translators: no MPN ID.
    mpn = f"`{escape(t.mpn_id)}`" if t.mpn_id else _("none")
    if t.mpn_issue_flag:
        mpn += " :warning:"
    renewal, expiry = "—", "—"
    if info is not None:
        if info.renew is not None and info.renew.automatic is not None:
            renewal = _renewal(info.renew.automatic, info.renew.period)
            if info.renew.delete_at_expiration:
                renewal = _("{renewal} · deleted at expiry", renewal=renewal)
        if info.expiration:
            expiry = day(info.expiration)
        if info.status:
            # Translators: {status} is OVHcloud's code of the service (e.g. "ok"), as it is.
            expiry = _("{expiry} ({status})", expiry=expiry, status=escape(info.status))
    created = date_token(t.creation_date, "{date_short}") if t.creation_date else "—"
    return [
        _("*Internal name*\n`{name}`", name=escape(t.service_name)),
        _("*Display name*\n{name}", name=escape(t.display_name or "—")),
        _("*Created*\n{when}", when=created),
        _("*Status*\n{status}", status=status_text(t.status)),
        _("*MPN ID*\n{mpn}", mpn=mpn),
        _("*Contact*\n{lines}", lines="\n".join(x for x in contact_lines if x)),
        _("*Address*\n{address}", address=escape(address)),
        _("*Renewal*\n{renewal}", renewal=renewal),
        _("*Expires*\n{expiry}", expiry=expiry),
    ]


def _renewal(automatic: bool, months: int | None) -> str:
    """How the group renews, in one sentence of the reader's language."""
    if automatic:
        if months:
            return ngettext("automatic every {n} month", "automatic every {n} months", months)
        # Translators: the renewal of a license group.
        return _("automatic")
    if months:
        return ngettext("manual every {n} month", "manual every {n} months", months)
    # Translators: the renewal of a license group.
    return _("manual")


# --- the edit modals ---------------------------------------------------------------------------


class TenantEditRef(Metadata):
    """The edit form's private_metadata: the group, and where the edit started (for the status
    card)."""

    service_name: Text = Field(default=None, alias="t")
    channel: Text = Field(default=None, alias="c")


def edit_form(tenant: CachedTenant, channel: str | None) -> View:
    blocks: list[Block] = [
        context(
            _(
                "License group `{name}`. Users, passwords and domains are changed in "
                "Microsoft's admin portal, not here.",
                name=escape(tenant.service_name),
            )
        ),
    ]
    for block_id, name, label, limit in EDITABLE:
        element = PlainTextInputElement(
            action_id=name, initial_value=getattr(tenant, name) or None, max_length=limit
        )
        hint = None
        if name == "email":
            hint = plain(_("Microsoft's admin messages go to this address."))
        if name == "mpn_id":
            hint = plain(_("Your Microsoft Partner Network ID (indirect reseller), digits only."))
        blocks.append(
            InputBlock(
                block_id=block_id,
                label=plain(_(label)),
                element=element,
                optional=name != "display_name",
                hint=hint,
            )
        )
    return View(
        type="modal",
        callback_id=TenantEditCallback.FORM,
        private_metadata=TenantEditRef(service_name=tenant.service_name, channel=channel).dump(),
        title=plain(_("Edit license group"), 24),
        submit=plain(_("Review")),
        close=plain(_("Cancel")),
        blocks=blocks,
    )

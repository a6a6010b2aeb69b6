"""Every callback_id, action_id and block_id the bot uses: no string literals elsewhere."""

from __future__ import annotations

from enum import StrEnum


class Command(StrEnum):
    CSP = "/csp"


class CallbackId(StrEnum):
    NOTICE = "notice"


class ActionId(StrEnum):
    HELP_OPEN = "help_open"


class BlockId(StrEnum):
    HELP = "help"
    #: The license group picker of any modal (external_select, OptionsAction.TENANT); the
    #: subscription and license typeaheads read the chosen group from this block's state.
    TENANT = "tenant"


# --- the state cache: browsing, typeahead, App Home -----------------------------------------------


class BrowseAction(StrEnum):
    """Buttons of the browsing messages; values are a `bot.tenants.browse.BrowseRef` (page,
    filter)."""

    PREVIOUS = "browse_previous"  # replaces the message with the page before
    NEXT = "browse_next"
    REFRESH = "browse_refresh"  # re-syncs in the background, then replaces the message
    SHOW = "browse_show"  # posts another listing (a group's details, its subscriptions)
    SHOW_TASKS = "browse_show_tasks"  # the same, for a second button in one block
    PORTAL = "browse_portal"  # the link to Microsoft's admin portal (acked, nothing else)
    USAGE = "browse_usage"  # a group's usage chart, uploaded (value: its service name)


class SubscriptionAction(StrEnum):
    """The overflow menu of a subscription row in `/csp subs`.

    Slack gives an overflow menu one action_id, so the menu is sent as `MENU` with option values
    "<item>:<subscription id>", the item being CHANGE_SEATS or CANCEL. A flow listens to `MENU`
    with the matcher `bot.slack.payload.menu_item(<its item>)` and reads the subscription id
    with `button_value`.
    """

    MENU = "subscription_menu"
    CHANGE_SEATS = "subscription_change_seats"
    CANCEL = "subscription_cancel"
    ORDER_ADDON = "subscription_order_addon"


class OptionsAction(StrEnum):
    """external_select action ids served from the cache by `handlers.options`."""

    TENANT = "options_tenant"  # option value: service name
    SUBSCRIPTION = "options_subscription"  # option value: subscription id
    LICENSE = "options_license"  # option value: license id


class HomeAction(StrEnum):
    """App Home buttons. ORDER/SEATS/CANCEL/REFUND start flows (their listeners live there)."""

    ORDER = "home_order"
    SEATS = "home_seats"
    CANCEL = "home_cancel"
    REFUND = "home_refund"
    REFRESH = "home_refresh"
    #: The group picker under "License groups": opens the chosen group's details.
    GROUP_DETAILS = "home_group_details"


class TenantAction(StrEnum):
    EDIT = "tenant_edit"


class TenantEditCallback(StrEnum):
    #: The edit form; private_metadata is a `bot.tenants.views.TenantEditRef`.
    FORM = "tenant_edit_form"
    #: Confirmations of older versions (the change in private_metadata): refused, never acted on.
    CONFIRM = "tenant_edit_confirm"


class TenantEditBlock(StrEnum):
    DISPLAY_NAME = "tenant_display_name"
    FIRST_NAME = "tenant_first_name"
    LAST_NAME = "tenant_last_name"
    EMAIL = "tenant_email"
    PHONE = "tenant_phone"
    ADDRESS = "tenant_address"
    CITY = "tenant_city"
    ZIP_CODE = "tenant_zip_code"
    MPN_ID = "tenant_mpn_id"


# --- the request pipeline: confirmation, approvals, status cards ----------------------------------


class PipelineCallback(StrEnum):
    #: The generic pushed confirmation view; private_metadata is a `bot.slack.metadata.RequestRef`.
    CONFIRM = "pipeline_confirm"
    #: The modal asking a support agent why they reject; private_metadata: a `RequestRef`.
    REJECT = "pipeline_reject"


class PipelineAction(StrEnum):
    """Buttons on status and approval cards; every value is a request id, nothing more."""

    APPROVE = "pipeline_approve"
    REJECT = "pipeline_reject"
    WITHDRAW = "pipeline_withdraw"
    RETRY = "pipeline_retry"
    #: Needs attention: a support agent says what the OVHcloud control panel shows.
    RESOLVE_HAPPENED = "pipeline_resolve_happened"
    RESOLVE_DID_NOT_HAPPEN = "pipeline_resolve_did_not_happen"
    REJECT_REASON = "pipeline_reject_reason"
    #: `/csp audit` pages; value `<request|subscription>:<id>:<page>`.
    AUDIT_EARLIER = "pipeline_audit_earlier"
    AUDIT_LATER = "pipeline_audit_later"


class PipelineBlock(StrEnum):
    DECISION = "pipeline_decision"
    REQUESTER = "pipeline_requester"
    CREATED = "pipeline_created"  # a done order's ways into what it made
    REJECT_REASON = "pipeline_reject_reason"
    AUDIT_PAGER = "pipeline_audit_pager"


# --- ordering licenses ----------------------------------------------------------------------------


class OrderCallback(StrEnum):
    #: The order modal (both modes); private_metadata is a `bot.orders.form.OrderMeta`.
    FORM = "order_form"


class OrderBlock(StrEnum):
    """Block ids of the order modal. A license line's blocks are `<kind>.<line key>`
    (`bot.orders.form.line_block`): a line keeps its key while it exists, so Slack keeps what was
    typed in it when the modal is updated."""

    MODE = "order_mode"
    NOTICE = "order_notice"
    LINES_HINT = "order_lines_hint"
    LINE_LICENSE = "order_line_license"
    LINE_PARENT = "order_line_parent"
    LINE_QUANTITY = "order_line_quantity"
    LINE_TOOLS = "order_line_tools"
    LINE_NOTE = "order_line_note"
    ADD_LINE = "order_add_line"
    NOTE = "order_note"
    MPN_ID = "order_mpn_id"
    DISPLAY_NAME = "order_display_name"
    SUBDOMAIN = "order_subdomain"
    FIRST_NAME = "order_first_name"
    LAST_NAME = "order_last_name"
    EMAIL = "order_email"
    PHONE = "order_phone"
    ADDRESS = "order_address"
    CITY = "order_city"
    ZIP_CODE = "order_zip_code"
    COUNTRY = "order_country"


class OrderAction(StrEnum):
    ADD_LINE = "order_add_line"
    REMOVE_LINE = "order_remove_line"  # value: the line key
    LICENSE = "order_line_license"  # a license was chosen on a line (reveals the add-on parent)
    PARENT = "order_line_parent"
    QUANTITY = "order_line_quantity"
    NEW_GROUP = "order_mode_new_group"
    EXISTING_GROUP = "order_mode_existing_group"
    FIELD = "order_field"  # the one input element of a plain field block


# --- refund tickets -------------------------------------------------------------------------------


class RefundCallback(StrEnum):
    #: The refund ticket modal; private_metadata is a `bot.slack.metadata.ChannelRef`.
    FORM = "refund_form"
    #: "Mark as filed": asks for the upstream ticket reference; metadata: a `RequestRef`.
    FILED = "refund_filed"
    #: "Mark as resolved": asks for the credited amount; metadata: a `RequestRef`.
    RESOLVED = "refund_resolved"


class RefundBlock(StrEnum):
    """Block ids of the refund modal (the optional license group is `BlockId.TENANT`), of the
    filed/resolved modals, and of the refund section of the cards."""

    CUSTOMER_TENANT = "refund_customer_tenant"
    ORDER_ID = "refund_order_id"
    PRODUCT = "refund_product"
    PURCHASE_DATE = "refund_purchase_date"
    REASON = "refund_reason"
    REASON_DETAILS = "refund_reason_details"
    AMOUNT = "refund_amount"
    CURRENCY = "refund_currency"
    IMPACT = "refund_impact"
    TITLE = "refund_title"
    CONTACT_NAME = "refund_contact_name"
    CONTACT_EMAIL = "refund_contact_email"
    CONTACT_PHONE = "refund_contact_phone"
    ATTACHMENTS = "refund_attachments"
    ACKNOWLEDGE = "refund_acknowledge"
    UPSTREAM_REFERENCE = "refund_upstream_reference"
    CREDITED_AMOUNT = "refund_credited_amount"
    CREDITED_CURRENCY = "refund_credited_currency"
    UPSTREAM_DESCRIPTION = "refund_upstream_description"
    CARD_ACTIONS = "refund_card_actions"
    LIST_PAGER = "refund_list_pager"


class RefundAction(StrEnum):
    """Refund buttons carry a request id as value, nothing more (PAGE: `<filter>:<page>`)."""

    FIELD = "refund_field"  # the one input element of a plain field block
    CLAIM = "refund_claim"
    MARK_FILED = "refund_mark_filed"
    MARK_RESOLVED = "refund_mark_resolved"
    PAGE = "refund_page"


# --- one subscription: seat changes and cancellations --------------------------------------------


class SubscriptionChoiceBlock(StrEnum):
    """Blocks both flows share (`bot.tenants.subscription_choice_view`); the group is
    BlockId.TENANT.

    The subscription select's block_id is `SUBSCRIPTION.<generation>`: it changes with the
    group, so Slack forgets a subscription chosen in another group (`ChoiceRef`).
    """

    SUBSCRIPTION = "choice_subscription"
    FACTS = "choice_facts"
    NOTICE = "choice_notice"


class SeatsCallback(StrEnum):
    #: The seat modal; private_metadata is a `bot.tenants.subscription_choice.ChoiceRef`.
    FORM = "seats_form"


class SeatsBlock(StrEnum):
    NEW_TOTAL = "seats_new_total"
    #: "Schedule for the renewal on …", shown while some seats cannot be removed now; the
    #: block_id carries the renewal (`SCHEDULE.<unix time>`), so a tick never carries over to
    #: another renewal.
    SCHEDULE = "seats_schedule"


class SeatsAction(StrEnum):
    NEW_TOTAL = "seats_new_total"
    SCHEDULE = "seats_schedule"


class CancelCallback(StrEnum):
    #: The cancellation modal; private_metadata is a `bot.tenants.subscription_choice.ChoiceRef`.
    FORM = "cancel_form"


class CancelBlock(StrEnum):
    REASON = "cancel_reason"
    DETAILS = "cancel_details"
    #: Checkboxes shown when the window has closed or add-ons go too; the block_id names
    #: which (`ACKNOWLEDGE.<what>`), so Slack does not keep a tick given for something else.
    ACKNOWLEDGE = "cancel_acknowledge"


class CancelAction(StrEnum):
    REASON = "cancel_reason"
    DETAILS = "cancel_details"
    ACKNOWLEDGE = "cancel_acknowledge"


# --- software through Partner Center -----------------------------------------------------------


class SoftwareCallback(StrEnum):
    #: The buy modal; private_metadata is a `bot.slack.metadata.ChannelRef`.
    BUY = "software_buy"
    #: The cancel modal; private_metadata is a `bot.software.views.SoftwareCancelRef`.
    CANCEL = "software_cancel"


class SoftwareBlock(StrEnum):
    CUSTOMER = "software_customer"
    OFFER = "software_offer"
    QUANTITY = "software_quantity"
    REASON = "software_reason"


class SoftwareAction(StrEnum):
    """external_selects served from the software cache, the buy form's inputs, and the buttons
    of `/csp software list` (values: a `PurchaseRef`, nothing more)."""

    CUSTOMER = "software_options_customer"  # option value: the customer's tenant GUID
    OFFER = "software_options_offer"  # option value: a `bot.software.catalogue.Offer` value
    QUANTITY = "software_quantity"
    REASON = "software_reason"
    CANCEL = "software_cancel_purchase"
    KEYS = "software_keys"
    REFUND = "software_refund_ticket"


def action_ids() -> frozenset[str]:
    """Every action_id the bot puts on a button, select or input: the members of the
    `…Action` enums above (and `ActionId`)."""
    return frozenset(
        member.value
        for name, enum in globals().items()
        if isinstance(enum, type) and issubclass(enum, StrEnum)
        and name.endswith(("Action", "ActionId"))
        for member in enum
    )

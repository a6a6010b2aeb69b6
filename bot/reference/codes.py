"""Words, not codes: what each provider code or state the bot shows means, and what to do, in
the reader's language.

One table for every surface. `explain(kind, code)` gives a short label and a sentence; a code
nobody has listed yet is shown as it came (escaped) with a sentence saying so, never dropped.
Codes are compared as `bot.policy.status.status_key` compares statuses (case, spaces, hyphens
and underscores ignored), so `inCreation`, `IN_CREATION` and `in-creation` are one.

Where the values come from: OVHcloud's `/saas/csp2` schema (tenant `status`, `OfficeTask.status`)
and its `services.Service` (`status`); Microsoft's SDK `SubscriptionStatus` for Partner Center
software. `mpnIssueFlag` has no published values: `mpnIdNotIndirectReseller` is the one the
sandbox raises, after OVHcloud's guides (an MPN ID must be enrolled as an indirect reseller
since 1 July 2022). The task functions are the sandbox's names for OVHcloud's writes (inferred).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.core.i18n import N_, _
from bot.core.text import escape
from bot.policy.status import status_key


class CodeKind(StrEnum):
    TENANT_STATE = "tenant_state"
    SERVICE_STATE = "service_state"
    SUBSCRIPTION_STATUS = "subscription_status"
    TASK_STATUS = "task_status"
    TASK_FUNCTION = "task_function"
    MPN_ISSUE = "mpn_issue"


@dataclass(frozen=True)
class Words:
    label: str
    meaning: str


def _w(label: str, meaning: str) -> Words:
    return Words(label, meaning)


TABLE: dict[CodeKind, dict[str, Words]] = {
    CodeKind.TENANT_STATE: {
        "creating": _w(N_("being created"), N_(
            "OVHcloud is creating this license group at Microsoft. Wait until it is in "
            "service before changing anything.")),
        "inmaintenance": _w(N_("in maintenance"), N_(
            "OVHcloud is working on this license group. Changes are refused until it is back "
            "in service; try again later.")),
        "ok": _w(N_("in service"), N_(
            "The license group works normally and takes changes.")),
        "reopening": _w(N_("reopening"), N_(
            "OVHcloud is reactivating this license group. Wait until it is in service.")),
        "suspended": _w(N_("suspended"), N_(
            "OVHcloud has suspended this license group: its licenses cannot be changed. Check "
            "the MPN ID and the unpaid bills in the OVHcloud Control Panel.")),
        "suspending": _w(N_("being suspended"), N_(
            "OVHcloud is suspending this license group. Check the MPN ID and the unpaid bills "
            "in the OVHcloud Control Panel.")),
    },
    CodeKind.SERVICE_STATE: {
        "ok": _w(N_("paid up"), N_("The service is paid and runs normally.")),
        "increation": _w(N_("being set up"), N_(
            "OVHcloud is still setting up the service. Wait a few minutes.")),
        "autorenewinprogress": _w(N_("renewing"), N_(
            "OVHcloud is renewing the service automatically. Nothing to do.")),
        "expired": _w(N_("expired"), N_(
            "The service was not renewed and has expired. Renew it in the OVHcloud Control "
            "Panel to keep the licenses.")),
        "pendingdebt": _w(N_("payment pending"), N_(
            "A bill is waiting to be paid. Pay it in the OVHcloud Control Panel before the "
            "service is suspended.")),
        "unpaid": _w(N_("unpaid"), N_(
            "A bill of this service is unpaid. Pay it in the OVHcloud Control Panel; until then "
            "OVHcloud may suspend the licenses.")),
    },
    CodeKind.SUBSCRIPTION_STATUS: {
        "ok": _w(N_("in service"), N_("The subscription is active and takes changes.")),
        "active": _w(N_("active"), N_("The subscription is active and takes changes.")),
        "none": _w(N_("no status"), N_(
            "Microsoft gives no status for this subscription. Look at it in Partner Center.")),
        "pending": _w(N_("pending"), N_(
            "Microsoft has not finished setting up the subscription. Wait a few minutes.")),
        "creating": _w(N_("being created"), N_(
            "The subscription is being created. Wait until it is in service.")),
        "deleting": _w(N_("being deleted"), N_(
            "The subscription is being cancelled. Nothing more can be changed.")),
        "deleted": _w(N_("cancelled"), N_(
            "The subscription is cancelled; its licenses are gone. Order again to get them "
            "back.")),
        "suspended": _w(N_("suspended"), N_(
            "The subscription is suspended: its users keep their data but cannot use the "
            "licenses. Ask a support agent why.")),
        "disabled": _w(N_("disabled"), N_(
            "The subscription is disabled and takes no changes. Ask a support agent.")),
        "expired": _w(N_("expired"), N_(
            "The subscription's term has ended without renewal. Order it again if it is still "
            "needed.")),
    },
    CodeKind.TASK_STATUS: {
        "todo": _w(N_("waiting"), N_("OVHcloud has received the change and will start it soon.")),
        "doing": _w(N_("in progress"), N_("OVHcloud is carrying out the change.")),
        "done": _w(N_("done"), N_("OVHcloud has carried out the change.")),
        "error": _w(N_("failed"), N_(
            "OVHcloud could not carry out the change. Look at the request's card for the "
            "reason; a person decides whether to try again.")),
        "cancelled": _w(N_("called off"), N_(
            "The change was cancelled at OVHcloud; nothing was changed.")),
    },
    CodeKind.TASK_FUNCTION: {
        "addsubscription": _w(N_("new subscription"), N_(
            "A new subscription is being added to the license group.")),
        "changequantity": _w(N_("seat change"), N_(
            "The number of licenses of a subscription is being changed.")),
        "deletesubscription": _w(N_("cancellation"), N_("A subscription is being cancelled.")),
        "orderaddon": _w(N_("add-on order"), N_("An add-on is being ordered for a subscription.")),
        "createtenant": _w(N_("new license group"), N_(
            "A new license group is being created at Microsoft.")),
    },
    CodeKind.MPN_ISSUE: {
        "mpnidnotindirectreseller": _w(N_("MPN ID not an indirect reseller"), N_(
            "Microsoft does not know this MPN ID as an indirect reseller of the CSP programme, "
            "so new orders are blocked. Enrol it as an indirect reseller in Partner Center, or "
            "enter an MPN ID that is, with `/csp tenant`.")),
    },
}

_UNKNOWN: dict[CodeKind, str] = {
    CodeKind.TENANT_STATE: N_("OVHcloud gives this license group the state “{code}”, which the "
                              "bot does not know. Look at it in the OVHcloud Control Panel."),
    CodeKind.SERVICE_STATE: N_("OVHcloud gives this service the state “{code}”, which the bot "
                               "does not know. Look at it in the OVHcloud Control Panel."),
    CodeKind.SUBSCRIPTION_STATUS: N_("The provider gives this subscription the status "
                                     "“{code}”, which the bot does not know; it is treated as "
                                     "in service."),
    CodeKind.TASK_STATUS: N_("OVHcloud gives this task the status “{code}”, which the bot does "
                             "not know."),
    CodeKind.TASK_FUNCTION: N_("An OVHcloud task of the kind “{code}”."),
    CodeKind.MPN_ISSUE: N_("OVHcloud reports a problem with the MPN ID (“{code}”). Check the MPN "
                           "ID in Partner Center and with `/csp tenant`."),
}


def explain(kind: CodeKind, code: str | None) -> Words:
    """`code` of `kind` in words, in the reader's language: a label and what to do."""
    words = TABLE[kind].get(status_key(code))
    if words is not None:
        return Words(_(words.label), _(words.meaning))
    shown = escape((code or "")[:60]) or "—"
    return Words(shown, _(_UNKNOWN[kind], code=shown))


def label(kind: CodeKind, code: str | None) -> str:
    return explain(kind, code).label


def meaning(kind: CodeKind, code: str | None) -> str:
    return explain(kind, code).meaning

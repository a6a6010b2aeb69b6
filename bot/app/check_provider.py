"""`csp-bot check --provider-details`: the operator's OVHcloud account as the bot sees it, in
lines to read (and paste into a report when something differs from what the bot assumes)."""

from __future__ import annotations

from collections import Counter

from bot import policy
from bot.app.config import ProviderName, Settings
from bot.app.runtime import build_provider
from bot.core.clock import SystemClock
from bot.provider.base import ProviderError
from bot.provider.ovh import OvhProvider
from bot.provider.ovh_details import AccountDetails, OfferDetails, read_account_details


def _counts(counter: Counter[str]) -> str:
    if not counter:
        return "none"
    return ", ".join(f"{value} ×{n}" for value, n in counter.most_common())


def _offer_lines(read: OfferDetails) -> list[str]:
    offer = read.offer
    lines = [f"    {offer.plan_code} — {offer.product_name or '?'} "
             f"(item added as {offer.duration}, {offer.pricing_mode})"]
    if read.options_error:
        lines.append(f"      options: could not be read ({read.options_error})")
    else:
        codes = [o.plan_code for o in read.options or []]
        lines.append("      options: " + (", ".join(codes) or "none"))
    if read.requirements_error:
        lines.append(f"      required configuration: could not be read "
                     f"({read.requirements_error})")
    else:
        labels = [f"{r.label} ({r.type}{', required' if r.required else ''})"
                  for r in read.requirements]
        lines.append("      required configuration: " + (", ".join(labels) or "none"))
    return lines


def differences(details: AccountDetails) -> list[str]:
    """What the account says that the bot's defaults (OVHcloud's published conventions) do
    not: each is handled, but worth reporting so the defaults can follow the real API."""
    notes = []
    if details.task_pending["null"] or details.task_pending["missing"]:
        notes.append("taskPendingId is null or missing on some subscriptions (the schema says "
                     "a long, 0 when idle); the bot reads both as \"no task\".")
    unknown = sorted(s for s in details.statuses if not policy.known(s))
    if unknown:
        notes.append("subscription statuses the bot has no word for: " + ", ".join(unknown)
                     + "; it treats them as in service.")
    blocking = sorted(s for s in details.statuses if not policy.in_service(s))
    if blocking:
        notes.append("subscriptions in statuses the bot refuses changes in: "
                     + ", ".join(blocking) + ".")
    if details.batch_reads_off:
        notes.append(f"batch reads were refused ({details.batch_reads_off}); the bot reads one "
                     "by one, which costs more requests.")
    with_options = [o.offer.plan_code for o in details.offers if o.options]
    if with_options:
        notes.append("the csp2 cart offers options under: " + ", ".join(with_options) + ".")
    gaps = sorted({str(g) for o in details.offers for g in o.gaps()})
    if gaps:
        notes.append("required cart labels the bot cannot fill: " + ", ".join(gaps) + ".")
    return notes


def report_lines(details: AccountDetails, where: str) -> list[str]:
    lines = [
        f"Provider details (read only), {where}",
        f"  License groups: {details.groups} (statuses: {_counts(details.group_statuses)})",
        f"  Subscriptions: {details.subscriptions}",
        f"  Subscription statuses: {_counts(details.statuses)}",
        f"  taskPendingId: {_counts(details.task_pending)}",
        f"  Licence types: {_counts(details.licence_types)}",
        "  Batch reads: " + (f"refused ({details.batch_reads_off})" if details.batch_reads_off
                             else "accepted"),
    ]
    lines += [f"  Could not read {error}" for error in details.errors]
    head = (f"  Order cart (ovhSubsidiary {details.subsidiary}, from {details.subsidiary_from}): "
            f"{len(details.offers)} csp2 offer(s)")
    lines.append(head + (f"; {details.cart_error}" if details.cart_error else ""))
    for offer in details.offers:
        lines += _offer_lines(offer)
    notes = differences(details)
    lines.append("  Differs from the bot's defaults:" + ("" if notes else " nothing"))
    lines += [f"    - {note}" for note in notes]
    return lines


async def provider_details(settings: Settings) -> tuple[list[str], bool]:
    """The report's lines, and whether the account could be read at all."""
    if settings.provider is not ProviderName.OVH:
        return ["Provider details need CSP_PROVIDER=ovh and the OVH_* credentials: the "
                "embedded sandbox has nothing to tell about OVHcloud."], False
    api = build_provider(settings, SystemClock())
    assert isinstance(api, OvhProvider)
    try:
        details = await read_account_details(api)
    except ProviderError as exc:
        return [f"Provider details: OVHcloud could not be read: {exc}"], False
    finally:
        await api.close()
    return report_lines(details, f"ovh ({settings.ovh_base_url})"), True

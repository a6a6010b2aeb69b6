"""`csp-bot check`: what is configured, what each mode still lacks, and live probes."""

from __future__ import annotations

from dataclasses import dataclass

from slack_sdk.errors import SlackApiError

from bot.app.config import ConnectionMode, ProviderName, Settings, SoftwareProviderName
from bot.app.runtime import Runtime
from bot.partner_center.provider import SoftwareProvider
from store.migrate import current_revision, head_revision, is_newer


@dataclass
class Finding:
    ok: bool
    subject: str
    detail: str
    #: Neither fine nor a problem: what another setup would need (shown as `--`).
    note: bool = False


def configuration_findings(settings: Settings) -> list[Finding]:
    findings = []
    mode = settings.mode
    if mode is None:
        findings.append(
            Finding(
                False, "Slack", "not configured: set " + " and ".join(settings.missing_for_slack())
            )
        )
    else:
        findings.append(
            Finding(True, "Slack", f"{mode.value} mode, Web API at {settings.slack_api_url}")
        )
    # In HTTP mode, Socket Mode as a note; when Slack is not configured at all, its finding
    # already names both ways (an "ok" line saying "needs …" read as a contradiction).
    if mode is ConnectionMode.HTTP:
        findings.append(Finding(True, "Socket Mode", "not used; it would need SLACK_APP_TOKEN "
                                "(xapp-, connections:write)", note=True))
    if not settings.csp_approvals_channel:
        findings.append(
            Finding(
                False,
                "Approvals",
                "set CSP_APPROVALS_CHANNEL to the channel id where "
                "support agents approve cancellations and refunds",
            )
        )
    if not settings.admin_ids:
        findings.append(
            Finding(
                False,
                "Admins",
                "set CSP_ADMINS to the Slack user ids of the bot's admins "
                "(comma-separated); they grant the other roles with /csp roles",
            )
        )
    provider = settings.provider
    if provider is ProviderName.OVH and not settings.ovh_credentials_complete:
        findings.append(
            Finding(
                False,
                "Provider",
                "CSP_PROVIDER=ovh needs OVH_APPLICATION_KEY, "
                "OVH_APPLICATION_SECRET and OVH_CONSUMER_KEY (create them at the endpoint's "
                "/createToken page)",
            )
        )
    else:
        where = settings.ovh_base_url if provider is ProviderName.OVH else "embedded sandbox"
        findings.append(Finding(True, "Provider", f"{provider.value} ({where})"))
    return [*findings, terms_finding(settings), *partner_center_findings(settings)]


def terms_finding(settings: Settings) -> Finding:
    """The licences' terms: what CSP_TERMS and the price book configure, and the assumption
    for the rest (OVHcloud's API publishes no term; docs/policies.md)."""
    from bot.reference.terms import TermsUnreadable, load_term_book

    try:
        book = load_term_book(settings)
    except TermsUnreadable as exc:
        return Finding(False, "Terms", exc.message)
    return Finding(True, "Terms", f"{len(book)} licence(s) configured; any other is assumed "
                   "P1M billed monthly (OVHcloud's API publishes no term)")


def partner_center_findings(settings: Settings) -> list[Finding]:
    """What the software side (Partner Center) has and lacks; nothing is asked of it here."""
    findings = []
    if settings.csp_perpetual_cancellation_window_days > settings.csp_refund_window_perpetual_days:
        findings.append(
            Finding(
                False,
                "Software windows",
                "CSP_PERPETUAL_CANCELLATION_WINDOW_DAYS is longer than "
                "CSP_REFUND_WINDOW_PERPETUAL_DAYS: a refund ticket would be refused for a "
                "purchase the bot still cancels itself; make the refund window the longer one",
            )
        )
    if settings.software_provider is SoftwareProviderName.SANDBOX:
        findings.append(Finding(True, "Software", "embedded Partner Center sandbox"))
        return findings
    if not settings.partner_center_credentials_complete:
        findings.append(
            Finding(
                False,
                "Software",
                "CSP_SOFTWARE_PROVIDER=partner_center needs PARTNER_CENTER_TENANT_ID, "
                "PARTNER_CENTER_CLIENT_ID and PARTNER_CENTER_CLIENT_SECRET (the app "
                "registration, docs/setup.md)",
            )
        )
        return findings
    findings.append(
        Finding(
            True,
            "Software",
            f"Partner Center at {settings.partner_center_api_url}, sign-in at "
            f"{settings.partner_center_authority_url}",
        )
    )
    if not settings.partner_center_authority_url.startswith("https://"):
        findings.append(
            Finding(
                False,
                "Partner Center sign-in",
                "PARTNER_CENTER_AUTHORITY_URL must be https (msal refuses anything else); a "
                "stand-in serves TLS with its own CA, named in SSL_CERT_FILE",
            )
        )
    if settings.partner_center_refresh_token is None:
        findings.append(
            Finding(
                False,
                "Partner Center sign-in",
                "no PARTNER_CENTER_REFRESH_TOKEN: the bot reads and buys app-only, but "
                "entitlements, provisioning status and cancelling as an Admin agent need an "
                "Admin agent's consent (docs/setup.md)",
            )
        )
    return findings


async def probe_partner_center(software: SoftwareProvider) -> list[Finding]:
    """Ask Partner Center (or its sandbox) for the customers, and look at the App+User token:
    from 2026 Partner Center refuses App+User tokens whose sign-in had no MFA (900421)."""
    from bot.partner_center.auth import TokenKind
    from bot.partner_center.client import PartnerCenterClient

    findings: list[Finding] = []
    try:
        customers = await software.list_customers()
        findings.append(Finding(True, "Partner Center", f"answers: {len(customers)} customers"))
    except Exception as exc:
        findings.append(Finding(False, "Partner Center", f"{exc}"))
    if not isinstance(software, PartnerCenterClient) or not software.auth.has_user:
        return findings
    try:
        token = await software.auth.token(TokenKind.APP_USER)
    except Exception as exc:
        return [*findings, Finding(False, "Partner Center sign-in", f"{exc}")]
    who = token.claims().get("upn") or "the consenting user"
    if token.mfa is False:
        findings.append(
            Finding(
                False,
                "Partner Center sign-in",
                f"{who} consented without MFA (multi-factor authentication): Partner "
                "Center refuses such App+User tokens (900421). Consent again with MFA and "
                "store the new "
                "PARTNER_CENTER_REFRESH_TOKEN (docs/setup.md)",
            )
        )
    else:
        mfa = "with MFA" if token.mfa else "MFA not stated in the token"
        findings.append(Finding(True, "Partner Center sign-in", f"App+User as {who}, {mfa}"))
    return findings


async def probe(settings: Settings) -> list[Finding]:
    """Talk to Slack (auth.test), the database and the provider."""
    findings = []
    runtime = Runtime(settings)
    try:
        if settings.slack_bot_token is not None:
            try:
                auth = await runtime.slack.auth_test()
                findings.append(
                    Finding(
                        True, "Slack auth.test", f"bot {auth.get('user')} in {auth.get('team')}"
                    )
                )
            except SlackApiError as exc:
                findings.append(
                    Finding(
                        False,
                        "Slack auth.test",
                        f"{exc.response.get('error')}: "
                        "check SLACK_BOT_TOKEN (OAuth & Permissions) and SLACK_API_URL",
                    )
                )
            except Exception as exc:
                findings.append(
                    Finding(
                        False,
                        "Slack auth.test",
                        f"unreachable ({exc.__class__.__name__}): check SLACK_API_URL",
                    )
                )
        try:
            await runtime.db.ping()
            current, head = await current_revision(runtime.db.engine), head_revision()
            if current == head or is_newer(current):  # newer: a rolling upgrade under way
                findings.append(Finding(True, "Database", f"reachable, schema at {current}"))
            else:
                findings.append(
                    Finding(
                        False,
                        "Database",
                        f"schema at {current}, newest is {head}: run `csp-bot db upgrade`",
                    )
                )
        except Exception as exc:
            findings.append(
                Finding(
                    False, "Database", f"unreachable ({exc.__class__.__name__}): check DATABASE_URL"
                )
            )
        try:
            tenants = await runtime.provider.list_tenants()
            findings.append(Finding(True, "Provider", f"answers: {len(tenants)} license groups"))
        except Exception as exc:
            findings.append(
                Finding(False, "Provider", f"{exc}: check OVH_ENDPOINT and the OVH credentials")
            )
        findings += await probe_partner_center(runtime.software)
    finally:
        await runtime.stop()
    return findings

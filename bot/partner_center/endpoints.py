"""Where Partner Center and its sign-in live by default (settings override every one).

Kept apart, without imports, so `bot.app.config` can name the defaults without loading msal.
"""

#: [D partner-center-rest-urls]; 21Vianet is `https://partner.partnercenterapi.microsoftonline.cn`.
API_URL = "https://api.partnercenter.microsoft.com"
#: Entra ID's public cloud; the tenant is appended (`…/{partner tenant}`).
AUTHORITY_URL = "https://login.microsoftonline.com"
#: The audience of Partner Center's API; `.default` works for both grants (client credentials
#: requires it) [D enable-secure-app-model; S]. PowerShell asks `…/user_impersonation` for
#: App+User [PS]; Microsoft's docs and tools ask `https://graph.windows.net/.default` for
#: app-only [D partner-center-authentication; S; PS], which Azure AD Graph's retirement puts in
#: doubt (open question 1) — hence PARTNER_CENTER_SCOPE and PARTNER_CENTER_APP_SCOPE.
SCOPE = "https://api.partnercenter.microsoft.com/.default"

"""The playground's stand-in for OVHcloud's order page: where a new license group is paid.

With CSP_OVH_AUTO_PAY off, an order waits for payment and its status card links to the order's
`url`. In the playground that link opens this page (`GET /playground/pay/{orderId}`), whose
button pays the order in the sandbox (`POST`), as paying at OVHcloud would; the worker then
finds the new license group at its next look. The page speaks the browser's language (its
`Accept-Language`), the workspace's when the bot does not speak that one.
"""

from __future__ import annotations

from html import escape

from aiohttp import web

from bot.i18n import _, current_language, default_language, supported, using
from bot.provider.base import ProviderError
from bot.provider.sandbox import SandboxProvider

PATH = "/playground/pay/{order_id}"

_PAGE = """<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:34rem;margin:4rem auto;line-height:1.5}}
button{{font-size:1rem;padding:.5rem 1.2rem}}</style></head>
<body><h1>{title}</h1><p>{message}</p>{form}
<p><a href="/">{back}</a></p></body></html>"""
_FORM = '<form method="post"><button type="submit">{pay}</button></form>'


def browser_language(request: web.Request) -> str:
    """The first language of the browser's `Accept-Language` that the bot speaks."""
    for part in request.headers.get("Accept-Language", "").split(","):
        found = supported(part.split(";", 1)[0])
        if found:
            return found
    return default_language()


def add_payment_routes(app: web.Application, sandbox: SandboxProvider, base: str) -> None:
    """Serves the order page, and makes the sandbox's orders link to it."""
    sandbox.order_url = base + PATH

    def page(order_id: int, message: str, *, payable: bool, status: int = 200) -> web.Response:
        """`message` is already in the page's language (see `answer`)."""
        form = _FORM.format(pay=escape(_("Pay the order"))) if payable else ""
        html = _PAGE.format(lang=escape(current_language()), title=escape(
            _("Order {id}", id=order_id)), message=escape(message), form=form,
            back=escape(_("Back to the playground")))
        return web.Response(text=html, content_type="text/html", status=status)

    async def show(request: web.Request) -> web.Response:
        with using(browser_language(request)):
            return await _show(request)

    async def pay(request: web.Request) -> web.Response:
        with using(browser_language(request)):
            return await _pay(request)

    async def _show(request: web.Request) -> web.Response:
        order_id = int(request.match_info["order_id"])
        try:
            status = await sandbox.order_status(order_id)
        except ProviderError:
            return page(order_id, _("There is no such order."), payable=False, status=404)
        if status == "notPaid":
            return page(order_id, _("This order waits for payment."), payable=True)
        return page(order_id, _("OVHcloud gives this order the status “{status}”.",
                                status=status), payable=False)

    async def _pay(request: web.Request) -> web.Response:
        order_id = int(request.match_info["order_id"])
        try:
            await sandbox.pay_order(order_id)
        except ProviderError as exc:
            return page(order_id, _("Not paid: {reason}", reason=exc.message), payable=False,
                        status=400)
        return page(
            order_id,
            _("Paid. OVHcloud makes the license group now; its status card follows."),
            payable=False,
        )

    route = PATH.replace("{order_id}", "{order_id:\\d+}")
    app.router.add_get(route, show)
    app.router.add_post(route, pay)

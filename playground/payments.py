"""The playground's stand-in for OVHcloud's order page: where a new license group is paid.

With CSP_OVH_AUTO_PAY off, an order waits for payment and its status card links to the order's
`url`. In the playground that link opens this page (`GET /playground/pay/{orderId}`), whose
button pays the order in the sandbox (`POST`), as paying at OVHcloud would; the worker then
finds the new license group at its next look.
"""

from __future__ import annotations

from html import escape

from aiohttp import web

from bot.provider.base import ProviderError
from bot.provider.sandbox import SandboxProvider

PATH = "/playground/pay/{order_id}"

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Order {order_id}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:34rem;margin:4rem auto;line-height:1.5}}
button{{font-size:1rem;padding:.5rem 1.2rem}}</style></head>
<body><h1>Order {order_id}</h1><p>{message}</p>{form}
<p><a href="/">Back to the playground</a></p></body></html>"""
_FORM = '<form method="post"><button type="submit">Pay the order</button></form>'


def add_payment_routes(app: web.Application, sandbox: SandboxProvider, base: str) -> None:
    """Serves the order page, and makes the sandbox's orders link to it."""
    sandbox.order_url = base + PATH

    def page(order_id: int, message: str, *, payable: bool, status: int = 200) -> web.Response:
        form = _FORM if payable else ""
        html = _PAGE.format(order_id=order_id, message=escape(message), form=form)
        return web.Response(text=html, content_type="text/html", status=status)

    async def show(request: web.Request) -> web.Response:
        order_id = int(request.match_info["order_id"])
        try:
            status = await sandbox.order_status(order_id)
        except ProviderError:
            return page(order_id, "There is no such order.", payable=False, status=404)
        if status == "notPaid":
            return page(order_id, "This order waits for payment.", payable=True)
        return page(order_id, f"This order is {status}.", payable=False)

    async def pay(request: web.Request) -> web.Response:
        order_id = int(request.match_info["order_id"])
        try:
            await sandbox.pay_order(order_id)
        except ProviderError as exc:
            return page(order_id, "Not paid: " + exc.message, payable=False, status=400)
        return page(
            order_id,
            "Paid. OVHcloud makes the license group now; its status card follows.",
            payable=False,
        )

    route = PATH.replace("{order_id}", "{order_id:\\d+}")
    app.router.add_get(route, show)
    app.router.add_post(route, pay)

"""The playground's order page: a new license group's order links to it, and paying there lets
the sandbox make the group, as paying at OVHcloud would."""

from __future__ import annotations

import aiohttp

from bot.core.domain import CustomerContact, LicenseLine, NewTenantOrder
from bot.provider.sandbox_data import OFFICE_E3

ORDER = NewTenantOrder(
    mpn_id="6180342",
    display_name="Brasserie du Port SARL",
    contact=CustomerContact(
        first_name="Camille", last_name="Martin", email="camille@brasserie-du-port.fr",
        phone="+33491234567", address="12 quai du Port", city="Marseille", zip_code="13002",
        country="FR",
    ),
    licenses=[LicenseLine(license_id=OFFICE_E3, quantity=3)],
)  # fmt: skip


async def test_an_order_is_paid_on_the_playgrounds_order_page(playground):
    sandbox = playground.runtime.provider
    placed = await sandbox.order_tenant(ORDER)
    assert placed.url == f"{playground.url}playground/pay/{placed.order_id}"
    async with aiohttp.ClientSession() as session:
        async with session.get(placed.url) as page:
            assert page.status == 200 and "Pay the order" in await page.text()
        async with session.post(placed.url) as paid:
            assert paid.status == 200 and "Paid." in await paid.text()
        assert await sandbox.order_status(placed.order_id) in ("delivering", "delivered")
        async with session.post(placed.url) as again:
            assert again.status == 400 and "nothing to pay" in await again.text()
        async with session.get(f"{playground.url}playground/pay/999") as missing:
            assert missing.status == 404

"""Render a cart as a fixed-width receipt."""

from __future__ import annotations

import textwrap

from shop.cart import Cart
from shop.pricing import Discount, total, vat_of

WIDTH = 40


def render_receipt(cart: Cart, discount: Discount | None = None) -> str:
    rows: list[str] = []
    line_totals = []
    vat_totals = []
    for product, qty in cart.lines():
        amount = product.price.times(qty)
        line_totals.append(amount)
        vat_totals.append(vat_of(amount, product.vat))
        name = textwrap.shorten(product.name, width=22, placeholder="...")
        rows.append(f"{qty:>2} x {name:<22} {amount}")
    subtotal = total(line_totals)
    rows.append("-" * WIDTH)
    rows.append(f"{'subtotal':<27} {subtotal}")
    if discount is not None:
        off = discount.apply(subtotal)
        rows.append(f"{'discount ' + discount.code:<27} {off}")
        subtotal = subtotal - off
    rows.append(f"{'of which VAT':<27} {total(vat_totals)}")
    rows.append(f"{'TOTAL':<27} {subtotal}")
    return "\n".join(rows)

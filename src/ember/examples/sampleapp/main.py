"""A tiny shop: load a catalogue, fill a cart, apply a discount, print a receipt.

Run it as ``python main.py``; the output is the same on every run and every Python 3.10+.
It exists so that ember's bytecode tour has a real app with a package, imports between
modules and stdlib imports to build, check and run from ``__pycache__``.
"""

from __future__ import annotations

import sys

from shop import __version__
from shop.cart import Cart
from shop.catalog import load_catalog
from shop.pricing import Discount
from shop.receipt import render_receipt


def main() -> int:
    catalog = load_catalog()
    cart = Cart(catalog)
    cart.add("tea", 2)
    cart.add("mug", 1)
    cart.add("biscuits", 3)
    cart.remove("biscuits", 1)
    receipt = render_receipt(cart, Discount.percent("SPRING10", 10))
    print(f"sampleapp shop {__version__}")
    print(receipt)
    return 0


if __name__ == "__main__":
    sys.exit(main())

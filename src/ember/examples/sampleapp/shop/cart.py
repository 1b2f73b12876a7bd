"""A cart: quantities per product, kept in insertion order."""

from __future__ import annotations

from collections import OrderedDict

from shop.catalog import Product


class CartError(ValueError):
    pass


class Cart:
    def __init__(self, catalog: dict[str, Product]) -> None:
        self._catalog = catalog
        self._lines: OrderedDict[str, int] = OrderedDict()

    def add(self, sku: str, quantity: int = 1) -> None:
        if sku not in self._catalog:
            raise CartError(f"unknown product {sku!r}")
        self._lines[sku] = self._lines.get(sku, 0) + quantity

    def remove(self, sku: str, quantity: int = 1) -> None:
        left = self._lines.get(sku, 0) - quantity
        if left > 0:
            self._lines[sku] = left
        else:
            self._lines.pop(sku, None)

    def lines(self) -> list[tuple[Product, int]]:
        return [(self._catalog[sku], qty) for sku, qty in self._lines.items()]

"""The product catalogue, read from an embedded JSON document."""

from __future__ import annotations

import json
from dataclasses import dataclass

from shop.money import Money

_CATALOG_JSON = """
[
  {"sku": "tea", "name": "Assam tea, 250 g", "price": "4.50", "vat": "reduced"},
  {"sku": "mug", "name": "Stoneware mug", "price": "9.95", "vat": "standard"},
  {"sku": "biscuits", "name": "Oat biscuits", "price": "2.25", "vat": "reduced"}
]
"""


@dataclass(frozen=True)
class Product:
    sku: str
    name: str
    price: Money
    vat: str


def load_catalog() -> dict[str, Product]:
    items = json.loads(_CATALOG_JSON)
    return {
        item["sku"]: Product(item["sku"], item["name"], Money.of(item["price"]), item["vat"])
        for item in items
    }

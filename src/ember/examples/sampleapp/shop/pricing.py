"""Discounts and VAT: turn cart lines into priced lines and totals."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from shop.money import ZERO, Money

VAT_RATES = {"standard": Decimal("0.20"), "reduced": Decimal("0.05")}


@dataclass(frozen=True)
class Discount:
    code: str
    rate: Decimal

    @classmethod
    def percent(cls, code: str, percent: int) -> Discount:
        return cls(code, Decimal(percent) / 100)

    def apply(self, subtotal: Money) -> Money:
        return Money.of(str(subtotal.amount * self.rate))


def vat_of(price: Money, band: str) -> Money:
    return Money.of(str(price.amount * VAT_RATES[band]))


def total(amounts: list[Money]) -> Money:
    result = ZERO
    for amount in amounts:
        result = result + amount
    return result

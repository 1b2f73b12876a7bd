"""Money as exact decimals in cents, so totals never drift."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

_CENT = Decimal("0.01")


@dataclass(frozen=True)
class Money:
    amount: Decimal

    @classmethod
    def of(cls, text: str) -> Money:
        return cls(Decimal(text).quantize(_CENT, rounding=ROUND_HALF_EVEN))

    def __add__(self, other: Money) -> Money:
        return Money(self.amount + other.amount)

    def __sub__(self, other: Money) -> Money:
        return Money(self.amount - other.amount)

    def times(self, factor: int | Decimal) -> Money:
        return Money((self.amount * Decimal(factor)).quantize(_CENT, rounding=ROUND_HALF_EVEN))

    def __str__(self) -> str:
        return f"{self.amount:>8.2f}"


ZERO = Money(Decimal("0.00"))

"""shop: the sample app's package (catalogue, cart, pricing, receipt)."""

__version__ = "1.0"

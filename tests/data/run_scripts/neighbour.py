import os

WHERE = os.path.basename(__file__)


def explode(n):
    if n == 0:
        raise ValueError(f"boom at the bottom of {WHERE}")
    explode(n - 1)

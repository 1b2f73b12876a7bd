"""Exception-heavy loops for bench_exceptions.py: plain Python, compiled unchanged by
ember (and by Numba where it can)."""

import math


class BadValue(ValueError):
    """A user exception class at module level."""


def check_value(x):
    if x != x:
        raise BadValue("not a number")
    if x < 0.0:
        raise BadValue(f"negative value {x:.3f}")
    return math.sqrt(x)


def validate(xs):
    """Validate every value; count and skip the bad ones (a tenth of them)."""
    total = 0.0
    bad = 0
    for i in range(xs.shape[0]):
        try:
            total += check_value(xs[i])
        except BadValue:
            bad += 1
    return total, bad


def safe_ratios(a, b):
    """Sum of a[i] // b[i], a zero divisor counting as -1 (ZeroDivisionError caught)."""
    s = 0
    for i in range(a.shape[0]):
        try:
            s += int(a[i]) // int(b[i])
        except ZeroDivisionError:
            s -= 1
    return s


def guarded_sum(xs):
    """try/finally around every iteration, nothing raised: the cost of the protection."""
    s = 0.0
    n = 0
    for i in range(xs.shape[0]):
        try:
            s += xs[i] * 0.5
        finally:
            n += 1
    return s, n


def lookup_or_default(xs, idx):
    """IndexError from an array index, caught: out-of-range indices give 0."""
    s = 0.0
    for k in range(idx.shape[0]):
        try:
            s += xs[idx[k]]
        except IndexError:
            s += 0.0
    return s


def raise_out(x):
    """One call that raises out to Python (half the calls)."""
    if x % 2 == 1:
        raise ValueError(f"odd: {x}")
    return x


# The same loops in the form Numba compiles too (a constant message, `except Exception`):
# the like-for-like comparison with Numba.


def check_value_const(x):
    if x != x:
        raise BadValue("not a number")
    if x < 0.0:
        raise BadValue("negative value")
    return math.sqrt(x)


def validate_const(xs):
    total = 0.0
    bad = 0
    for i in range(xs.shape[0]):
        try:
            total += check_value_const(xs[i])
        except Exception:
            bad += 1
    return total, bad


def safe_ratios_any(a, b):
    s = 0
    for i in range(a.shape[0]):
        try:
            s += int(a[i]) // int(b[i])
        except Exception:
            s -= 1
    return s

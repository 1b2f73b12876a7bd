# Functions typed under every installed Python by tests/test_versions.py: the AST-based
# frontend must give byte-identical typed IR (and diagnostics) on 3.10 .. 3.13.
# Chosen for the AST shapes that moved between versions: decorators (def line vs
# co_firstlineno), subscripts with tuples and negative constants, chained comparisons,
# for/while-else, augmented assignment, methods, calls of a decorated @jit function,
# multi-line expressions (end positions), and a few user errors whose spans are rendered.
# ruff: noqa: F821  (jit is injected by the runner)
import math

from ember.native.types import BOOL, FLOAT64, INT64, Array, DType, Tuple

F64_2D = Array(DType("float64"), 2, "C")
I32_1D = Array(DType("int32"), 1, "A")
LIMIT = 10
SCALE = 0.5

# (function name, argument types); "!" first: the case is an error, its text is compared.
CASES = [
    ("clamp_sum", (INT64, FLOAT64, BOOL)),
    ("row_norms", (F64_2D,)),
    ("strided_count", (I32_1D, INT64)),
    ("pack", (Tuple((INT64, FLOAT64)), INT64)),
    ("Holder.method", (FLOAT64,)),
    ("decorated_caller", (INT64,)),
    ("!uses_set", (INT64,)),
    ("!bad_mix", (INT64,)),
    ("!undefined", (FLOAT64,)),
]


def clamp_sum(n, x, flag):
    total = 0.0
    for i in range(1, n, 2):
        if 0 < i <= LIMIT and not flag:
            total += x * i
        elif i % 3 == 0 or flag:
            total -= math.floor(x) / i
        else:
            continue
    else:
        total = (
            total
            + abs(-n)
            - SCALE
        )
    return min(total, float(n)) if n > 0 else -total


def row_norms(a):
    best = 0.0
    for i in range(a.shape[0]):
        s = 0.0
        for j in range(a.shape[1]):
            s += a[i, j] * a[i, -1]
        best = max(best, math.sqrt(s))
    return best


def strided_count(v, step):
    count = 0
    k = 0
    while k < v.shape[0]:
        if v[k] != 0:
            count += 1
        k += step
    return count


def pack(pair, n):
    a, b = pair
    return (a + n, b * n, a > n)


class Holder:
    def method(self_free_value):
        y = self_free_value ** 2
        return y if y >= 1.0 else 1.0 / (y + 1e-9)


@jit
def helper(
    k,
):
    return k * 2


def decorated_caller(n):
    return helper(n) + helper(n - 1)


def uses_set(n):
    xs = {n,
          n + 1}
    return xs


def bad_mix(n):
    if n > 0:
        r = n
    else:
        r = (1, 2)
    return r


def undefined(x):
    return x + not_defined_anywhere

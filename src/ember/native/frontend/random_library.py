"""``random`` and ``np.random`` functions written in the compiled subset, on top of the
generator primitives (the ``_prim_*`` markers, which frontend/random_calls.py types as
:class:`~ember.native.ir.nodes.Call` of ``random.*``/``np.random.*`` lowered by
codegen/random.py). Each follows the reference implementation line for line, so the
same draws give the same values: CPython's ``Lib/random.py`` (3.11) and NumPy's legacy
``RandomState`` (``legacy-distributions.c``).
"""

from __future__ import annotations


def _marker(*args: object) -> object:  # pragma: no cover - only compiled code calls these
    raise RuntimeError("a generator primitive of ember's compiled random; not callable")


def _prim_random() -> float:  # random.random(): genrand_res53 of CPython's state
    return _marker()  # type: ignore[return-value]


def _prim_randbelow(n: int) -> int:  # CPython's _randbelow(n), n > 0
    return _marker(n)  # type: ignore[return-value]


def _prim_np_random() -> float:  # RandomState.random_sample()
    return _marker()  # type: ignore[return-value]


def _prim_np_bounded(rng: int) -> int:  # a masked bounded int in [0, rng]
    return _marker(rng)  # type: ignore[return-value]


PRIMITIVES = {_prim_random: "random.random", _prim_randbelow: "random.randbelow",
              _prim_np_random: "np.random.random", _prim_np_bounded: "np.random.bounded"}


def uniform(a, b):  # type: ignore[no-untyped-def]
    return a + (b - a) * _prim_random()


def randrange_stop(stop):  # type: ignore[no-untyped-def]
    if stop > 0:
        return _prim_randbelow(stop)
    raise ValueError("empty range for randrange()")


def randrange(start, stop, step):  # type: ignore[no-untyped-def]
    width = stop - start
    if step == 1:
        if width > 0:
            return start + _prim_randbelow(width)
        raise ValueError("empty range for randrange()")
    if step > 0:
        n = (width + step - 1) // step
    elif step < 0:
        n = (width + step + 1) // step
    else:
        raise ValueError("zero step for randrange()")
    if n <= 0:
        raise ValueError("empty range for randrange()")
    return start + step * _prim_randbelow(n)


def randint(a, b):  # type: ignore[no-untyped-def]
    width = b + 1 - a  # randrange(a, b + 1)
    if width > 0:
        return a + _prim_randbelow(width)
    raise ValueError("empty range for randrange()")


def shuffle(x):  # type: ignore[no-untyped-def]
    for i in range(len(x) - 1, 0, -1):
        j = _prim_randbelow(i + 1)
        x[i], x[j] = x[j], x[i]


def np_uniform(low, high):  # type: ignore[no-untyped-def]
    span = high - low
    if span - span != 0.0:  # inf or nan: NumPy's check on the range
        raise OverflowError("Range exceeds valid bounds")
    return low + span * _prim_np_random()


def np_randint(low, high):  # type: ignore[no-untyped-def]
    if low >= high:
        raise ValueError("low >= high")
    return low + _prim_np_bounded(high - low - 1)


def np_randint_high(high):  # type: ignore[no-untyped-def]
    if high <= 0:
        raise ValueError("high <= 0")
    return _prim_np_bounded(high - 1)

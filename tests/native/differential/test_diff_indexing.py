"""Fancy and mask indexing, sorting and the set functions against NumPy (see ``_gen``):
``a[mask]``, ``a[idx]`` and their assignments for every dtype and layout (an index out of
range: IndexError; a mask of the wrong shape: IndexError; a value array of the wrong length:
ValueError), ``np.sort``/``argsort`` (``kind="stable"``: bit for bit and the order of ties;
the default kind up to the sign of equal zeros, which NumPy's unstable sort may order
either way), ``np.unique``, ``np.nonzero``/``flatnonzero``/``count_nonzero``. Sorting is
1-d only (2-d is a documented compile error)."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from . import _gen as G
from ._gen import DTYPES, INTS, LAYOUTS, Spec, agree, batch, examples, kernel, signature, specs

GET_MASK = kernel("mask_get", "def k(a, m):\n    return a[m]\n")
SET_MASK = kernel("mask_set", "def k(a, m, v):\n    a[m] = v\n    return a\n")
GET_IDX = kernel("idx_get", "def k(a, i):\n    return a[i]\n")
SET_IDX = kernel("idx_set", "def k(a, i, v):\n    a[i] = v\n    return a\n")
SORTS = {src: kernel(f"sort_{i}", f"def k(a):\n    return {src}\n") for i, src in enumerate(
    ['np.sort(a, kind="stable"), np.argsort(a, kind="stable")', "np.unique(a)",
     "np.nonzero(a)", "np.flatnonzero(a)", "np.count_nonzero(a)", "a[np.argsort(a, kind='stable')]"])}
SORT_DEFAULT = kernel("sort_default", "def k(a):\n    return np.sort(a)\n")
SORT_INPLACE = kernel("sort_inplace", "def k(a):\n    a.sort()\n    return a\n")


def zeros_equal(got, expected) -> bool:  # noqa: ANN001
    """Equal up to the sign of zeros: dtype, shape, NaN positions and values."""
    return (isinstance(got, np.ndarray) and got.dtype == expected.dtype
            and got.shape == expected.shape
            and bool(np.array_equal(got, expected, equal_nan=got.dtype.kind == "f")))


@st.composite
def masks(draw: st.DrawFn, shape: tuple[int, ...], layout: str) -> Spec:
    """A bool mask of ``shape`` or, one time in eight, of a wrong shape."""
    if shape and draw(st.integers(0, 7)) == 0:
        shape = (shape[0] + 1,) + shape[1:]
    return draw(specs("bool", shape, layout))


@examples(30)
@given(signature(ndims=(1, 2)), st.sampled_from(LAYOUTS), st.data())
def test_mask_get_and_set(sig, mask_layout: str, data) -> None:  # noqa: ANN001
    vkind = data.draw(st.sampled_from(DTYPES))
    for a in data.draw(batch(sig, n=3)):
        m = data.draw(masks(a.shape, mask_layout))
        agree(GET_MASK, a, m)
        agree(SET_MASK, a, m, data.draw(G.python_scalars(vkind)))
        n = data.draw(st.integers(0, 3))  # NumPy: len(v) must be the mask's count (or 1)
        agree(SET_MASK, a, m, data.draw(specs(sig[0], (n,), "C")))


@st.composite
def indices(draw: st.DrawFn, length: int, dt: str, layout: str) -> Spec:
    """An int array of ``dt`` indexing an axis of ``length``: negative ones, and
    sometimes one out of range."""
    hi = max(length, 1) + (1 if draw(st.integers(0, 5)) == 0 else 0)
    n = draw(st.integers(0, 5))
    info = np.iinfo(dt)
    vals = draw(st.lists(st.integers(max(-hi, int(info.min)), min(hi - 1, int(info.max))),
                         min_size=2 * n, max_size=2 * n))
    if length == 0:
        vals = [v for v in vals if False] if draw(st.booleans()) else vals
        n = len(vals) // 2
    return Spec(dt, (n,), layout, tuple(vals))


@examples(30)
@given(signature(ndims=(1, 2)), st.sampled_from(INTS), st.sampled_from(["C", "step", "reverse"]),
       st.data())
def test_index_arrays_get_and_set(sig, idt: str, ilayout: str, data) -> None:  # noqa: ANN001
    vkind = data.draw(st.sampled_from(DTYPES))
    for a in data.draw(batch(sig, n=3)):
        i = data.draw(indices(a.shape[0], idt, ilayout))
        agree(GET_IDX, a, i)
        agree(SET_IDX, a, i, data.draw(G.python_scalars(vkind)))


@examples(40)
@given(st.sampled_from(sorted(SORTS)), signature(ndims=(1,), layouts=("C", "step", "reverse")),
       st.data())
def test_sorting_and_sets(src: str, sig, data) -> None:  # noqa: ANN001
    for a in data.draw(batch(sig, n=3, forced=((0,), (1,)))):
        agree(SORTS[src], a)


@examples(20)
@given(signature(dtypes=DTYPES, ndims=(1,), layouts=("C", "step", "reverse")), st.data())
def test_default_sorts(sig, data) -> None:  # noqa: ANN001
    for a in data.draw(batch(sig, n=3)):
        agree(SORT_DEFAULT, a, compare=zeros_equal)
        py, got = SORT_INPLACE.py_func(a.build()), SORT_INPLACE(a.build())
        assert zeros_equal(got, py), (a, py, got)

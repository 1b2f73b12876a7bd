"""NumPy functions written in the compiled subset itself, as Numba's ``@overload``
implementations are: plain Python that ember types and lowers like a user's ``@jit``
function (one specialization per argument types, inlined by LLVM), so each is ordinary
compiled code with NumPy's semantics spelled out::

    np.roll(a, 1)      →   roll(a, 1), the closure below, called as a jit function

:mod:`ember.native.frontend.array_funcs` checks a call at compile time (NumPy's errors
for constant arguments, the variant for the dtype), then calls one of these. Each
factory returns closures over ``np`` (this module never imports NumPy: the frontend
runs without it), ``fail`` (raises NumPy's exception: ``fail("ValueError", "...")``) and
the call's compile-time constants (an axis, an order), which the typer reads as
constants. Factories are cached, so a function object — and so its specialization and
its native-cache entry — is the same for the same constants.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from ember.native.frontend.operators import RuleError

Impl = Callable[..., Any]

MSG_NEGATIVE = "negative dimensions are not allowed"
MSG_CROSS = "incompatible dimensions for cross product\n(dimension must be 2 or 3)"
MSG_INTERP_EMPTY = "array of sample points is empty"
MSG_INTERP_LENGTHS = "fp and xp are not of the same length."
MSG_INDEX_SHAPES = "shape mismatch: indexing arrays could not be broadcast together"
MSG_VALUE_SHAPES = "shape mismatch: value array could not be broadcast to indexing result"


_MADE: set[int] = set()  # ids of the closures made (cached, so alive for good)


@functools.cache
def implementation(np: Any, fail: Any, name: str, *consts: Any) -> Impl:
    """The closure ``name`` of this module's factories for ``consts``."""
    func = _FACTORIES[name](np, fail, *consts)
    _MADE.add(id(func))
    return func


def is_implementation(value: object) -> bool:
    """Whether ``value`` is one of the closures :func:`implementation` made (the library
    calls its own helpers, which the typer then compiles as jit functions)."""
    return id(value) in _MADE


def _as_row(np: Any, fail: Any) -> Impl:
    def as_row(a):  # type: ignore[no-untyped-def]
        return a.reshape((1, a.shape[0]))
    return as_row


def _copy(np: Any, fail: Any) -> Impl:
    def copy(a):  # type: ignore[no-untyped-def]
        return a.copy()
    return copy


# ------------------------------------------------------------------ shifting


def _roll_flat(np: Any, fail: Any) -> Impl:
    def roll(a, shift):  # type: ignore[no-untyped-def]
        flat = a.ravel()
        n = flat.shape[0]
        out = np.empty(n, a.dtype)
        if n > 0:
            s = shift % n
            out[s:] = flat[:n - s]
            out[:s] = flat[n - s:]
        return out.reshape(a.shape)
    return roll


def _inner_size(np: Any, fail: Any, axis: int, ndim: int) -> Impl:
    # The product of a.shape[axis + 1:], the axes (up to 6) tested by constants (not
    # strides: a copy's strides need not be C's when a dimension has length 1).
    if ndim > 6:
        raise RuleError(f"np.roll() and np.diff() along an axis of a {ndim}-d array are not "
                        "supported in compiled code (6 dimensions at most)")
    d1, d2, d3, d4, d5 = (axis < k < ndim for k in range(1, 6))

    def inner_size(a):  # type: ignore[no-untyped-def]
        return ((a.shape[1] if d1 else 1) * (a.shape[2] if d2 else 1)
                * (a.shape[3] if d3 else 1) * (a.shape[4] if d4 else 1)
                * (a.shape[5] if d5 else 1))
    return inner_size


def _roll_axis(np: Any, fail: Any, axis: int, c_order: bool, ndim: int) -> Impl:
    inner_size = implementation(np, fail, "inner_size", axis, ndim)

    def roll(a, shift):  # type: ignore[no-untyped-def]
        c = a if c_order else a.copy()  # C order: the axis is the middle of (pre, n, post)
        n = c.shape[axis]
        out = np.empty(c.shape, c.dtype)
        if c.size > 0:
            post = inner_size(c)
            pre = c.size // (n * post)
            c3 = c.reshape((pre, n, post))
            o3 = out.reshape((pre, n, post))
            s = shift % n
            o3[:, s:, :] = c3[:, :n - s, :]
            o3[:, :s, :] = c3[:, n - s:, :]
        return out
    return roll


def _diff(np: Any, fail: Any, n: int, perm: tuple[int, ...], boolean: bool, c_order: bool
          ) -> Impl:
    # A C copy seen as (pre, m, post) with the axis in the middle, differenced n times
    # (NumPy's bool diff is "not equal"), shaped as the axis-shortened view of a (perm
    # moves the axis last; its inverse moves it back). An empty array goes the slow way.
    inverse = tuple(perm.index(k) for k in range(len(perm)))
    axis = perm[-1]
    inner_size = implementation(np, fail, "inner_size", axis, len(perm))

    def diff(a):  # type: ignore[no-untyped-def]
        shape = a.transpose(perm)[..., n:].transpose(inverse).shape
        c = a if c_order else a.copy()  # a C array is its own (pre, m, post) view
        m = c.shape[axis]
        if c.size == 0:
            x = a.transpose(perm).copy()
            for _ in range(n):
                x = (x[..., 1:] != x[..., :-1]) if boolean else (x[..., 1:] - x[..., :-1])
            return x.transpose(inverse).copy()
        post = inner_size(c)
        d = c.reshape((c.size // (m * post), m, post))
        for _ in range(n):
            d = (d[:, 1:, :] != d[:, :-1, :]) if boolean else (d[:, 1:, :] - d[:, :-1, :])
        return d.reshape(shape)
    return diff


# ------------------------------------------------------------------ selection


def _take_flat(np: Any, fail: Any) -> Impl:
    def take(a, indices):  # type: ignore[no-untyped-def]
        return a.ravel()[indices]
    return take


def _take_axis(np: Any, fail: Any, axis: int, ndim: int) -> Impl:
    # The axis is brought first (perm); the 1-d indices keep it there, so perm's
    # inverse moves it back.
    if axis == 0:
        def take(a, indices):  # type: ignore[no-untyped-def]
            return a[indices]
        return take
    perm = (axis, *(k for k in range(ndim) if k != axis))
    inverse = tuple(perm.index(k) for k in range(ndim))
    message = f"index %ld is out of bounds for axis {axis} with size %ld"

    def take(a, indices):  # type: ignore[no-untyped-def]  # noqa: F811 - another axis
        n = a.shape[axis]
        for q in range(indices.shape[0]):  # checked here: the take below sees axis 0
            v = indices[q]
            if v >= n or v < -n:
                fail("IndexError", message, v, n)
        return a.transpose(perm)[indices].transpose(inverse).copy()
    return take


def _index_nd(np: Any, fail: Any, ndim: int) -> Impl:
    # a[idx] with an n-d int idx: the 1-d take of idx.ravel(), shaped idx.shape + rest.
    if ndim == 1:
        def index(a, idx):  # type: ignore[no-untyped-def]
            return a[idx.ravel()].reshape(idx.shape)
        return index

    def index(a, idx):  # type: ignore[no-untyped-def]  # noqa: F811 - a 2-d a
        return a[idx.ravel()].reshape((idx.shape[0], idx.shape[1], a.shape[1]))
    return index


def _store_nd(np: Any, fail: Any, value_is_array: bool, ndim: int) -> Impl:
    # a[idx] = v with an n-d int idx: a 1-d a, v a number or an array of idx's shape.
    same_shape = implementation(np, fail, "same_shape", ndim)
    if value_is_array:
        def store(a, idx, v):  # type: ignore[no-untyped-def]
            if not same_shape(v, idx):
                fail("ValueError", MSG_VALUE_SHAPES)
            flat = idx.ravel()
            values = v.ravel().copy()  # v may overlap a: NumPy reads it first
            for k in range(flat.shape[0]):
                a[flat[k]] = values[k]
        return store

    def store(a, idx, v):  # type: ignore[no-untyped-def]  # noqa: F811 - a number
        flat = idx.ravel()
        for k in range(flat.shape[0]):
            a[flat[k]] = v
    return store


def _store_rows(np: Any, fail: Any, per_row: bool) -> Impl:
    # a[idx] = v of an n-d a with a 1-d idx: row idx[k] takes v[k] (per_row: v has a's
    # dimensions, one row per index or one for all) or the whole of v (broadcast).
    if per_row:
        def store(a, idx, v):  # type: ignore[no-untyped-def]
            n = idx.shape[0]
            values = v.copy()  # v may overlap a: NumPy reads it first
            if values.shape[0] != n and values.shape[0] != 1:
                fail("ValueError", MSG_VALUE_SHAPES)
            step = 0 if values.shape[0] == 1 else 1
            for k in range(n):
                a[idx[k]] = values[k * step]
        return store

    def store(a, idx, v):  # type: ignore[no-untyped-def]  # noqa: F811 - one row for all
        values = v.copy()
        for k in range(idx.shape[0]):
            a[idx[k]] = values
    return store


def _pairs(np: Any, fail: Any, i_array: bool, j_array: bool, ndim: int) -> Impl:
    """a[i, j] of a 2-d a with int arrays (or one int): 1-d ones broadcast as NumPy's
    (a length 1 stretches), n-d ones of one shape."""
    pair_count = implementation(np, fail, "pair_count", i_array, j_array, ndim)

    def pairs(a, i, j):  # type: ignore[no-untyped-def]
        ii = i.ravel() if i_array else np.full(1, i)
        jj = j.ravel() if j_array else np.full(1, j)
        n = pair_count(i, j)
        si = 0 if ii.shape[0] == 1 else 1
        sj = 0 if jj.shape[0] == 1 else 1
        out = np.empty(n, a.dtype)
        for k in range(n):
            out[k] = a[ii[k * si], jj[k * sj]]
        return out.reshape((i.shape if i_array else j.shape) if ndim > 1 else (n,))
    return pairs


def _pair_count(np: Any, fail: Any, i_array: bool, j_array: bool, ndim: int) -> Impl:
    """How many items a[i, j] selects, or NumPy's IndexError (a constant test types
    only the live branch of a conditional expression)."""
    check = i_array and j_array and ndim > 1  # n-d index arrays: of one shape
    same_shape = implementation(np, fail, "same_shape", ndim)
    shapes = MSG_INDEX_SHAPES + " with shapes (%ld,) (%ld,) "

    def pair_count(i, j):  # type: ignore[no-untyped-def]
        ni = i.size if i_array else 1
        nj = j.size if j_array else 1
        if (not same_shape(i, j)) if check else False:
            fail("IndexError", MSG_INDEX_SHAPES)
        if ni != nj and ni != 1 and nj != 1:
            fail("IndexError", shapes, ni, nj)
        return nj if ni == 1 else ni
    return pair_count


def _store_pairs(np: Any, fail: Any, i_array: bool, j_array: bool, value_is_array: bool,
                 ndim: int) -> Impl:
    # a[i, j] = v of a 2-d a: v a number, or an array of the selection's size (or 1).
    pair_count = implementation(np, fail, "pair_count", i_array, j_array, ndim)

    def store(a, i, j, v):  # type: ignore[no-untyped-def]
        ii = i.ravel() if i_array else np.full(1, i)
        jj = j.ravel() if j_array else np.full(1, j)
        n = pair_count(i, j)
        si = 0 if ii.shape[0] == 1 else 1
        sj = 0 if jj.shape[0] == 1 else 1
        values = v.ravel().copy() if value_is_array else np.full(1, v)  # v may overlap a
        if values.shape[0] != n and values.shape[0] != 1:
            fail("ValueError", MSG_VALUE_SHAPES)
        sv = 0 if values.shape[0] == 1 else 1
        for k in range(n):
            a[ii[k * si], jj[k * sj]] = values[k * sv]
    return store


def _repeat(np: Any, fail: Any, axis: int, ndim: int, flat: bool) -> Impl:
    # Each item ``repeats`` times: a take of arange(n * repeats) // repeats along the
    # axis (of a.ravel() when flat).
    take = implementation(np, fail, "take_axis", axis, ndim)
    if flat:
        def repeat(a, repeats):  # type: ignore[no-untyped-def]
            if repeats < 0 and a.size > 0:
                fail("ValueError", MSG_NEGATIVE)
            return a.ravel()[np.arange(a.size * repeats) // repeats]
        return repeat

    def repeat(a, repeats):  # type: ignore[no-untyped-def]  # noqa: F811 - along an axis
        if repeats < 0 and a.shape[axis] > 0:
            fail("ValueError", MSG_NEGATIVE)
        return take(a, np.arange(a.shape[axis] * repeats) // repeats)
    return repeat


def _repeat_counts(np: Any, fail: Any, axis: int, ndim: int, flat: bool) -> Impl:
    # np.repeat(a, counts): item k counts[k] times (one count stretches to every item),
    # as a take of the index array those counts make.
    take = implementation(np, fail, "take_axis", axis, ndim)
    shapes = "operands could not be broadcast together with shape (%ld,) (%ld,)"

    def repeat(a, counts):  # type: ignore[no-untyped-def]
        x = a.ravel() if flat else a
        n = x.shape[0 if flat else axis]
        c = counts.ravel()
        m = c.shape[0]
        if m != n and m != 1:
            fail("ValueError", shapes, n, m)
        step = 0 if m == 1 else 1
        if m == 1 and c[0] < 0 and n > 0:  # one count: NumPy's scalar repeats
            fail("ValueError", MSG_NEGATIVE)
        total = 0
        for k in range(n):
            if c[k * step] < 0:
                fail("ValueError", "repeats may not contain negative values.")
            total += c[k * step]
        index = np.empty(total, np.int64)
        q = 0
        for k in range(n):
            for _ in range(c[k * step]):
                index[q] = k
                q += 1
        return take(x, index)
    return repeat


def _tile_axis(np: Any, fail: Any, axis: int, ndim: int) -> Impl:
    # One axis of np.tile: a take of arange(m * reps) % m along it.
    take = implementation(np, fail, "take_axis", axis, ndim)

    def tile(a, reps):  # type: ignore[no-untyped-def]
        m = a.shape[axis]
        if reps < 0 and m > 0:
            fail("ValueError", MSG_NEGATIVE)
        if m == 0:
            return take(a, np.arange(0))
        return take(a, np.arange(m * reps) % m)
    return tile


# ------------------------------------------------------------------ linear algebra


def _trace(np: Any, fail: Any) -> Impl:
    def trace(a, offset):  # type: ignore[no-untyped-def]
        return np.diag(a, offset).sum()  # NumPy's own: the diagonal's sum, its dtype rule
    return trace


def _norm(np: Any, fail: Any, kind: str, axis: int | None, to_float: bool, keep: bool) -> Impl:
    """np.linalg.norm as NumPy computes it: ``kind`` is "dot" (the 2-norm and Frobenius
    of a whole array: sqrt(x.ravel() @ x.ravel())), "sq" (the 2-norm along an axis), "inf",
    "-inf", "0", "1", "m1", "minf", "minus_inf" (the matrix norms of a 2-d array) or "p"
    (any other order, ``(|x|**p).sum() ** (1/p)``); ints are taken as float64 first."""
    if kind == "dot":
        def norm(x, p):  # type: ignore[no-untyped-def]
            f = x.ravel().astype(np.float64) if to_float else x.ravel()
            # sqrt in the array's own dtype (a float32 norm is float32's sqrt)
            return np.sqrt(np.full(1, np.dot(f, f), f.dtype))[0]
        return norm
    if kind == "sq_all":  # over both axes of a matrix: NumPy's sum, rooted in its dtype
        def norm(x, p):  # type: ignore[no-untyped-def]
            f = x.astype(np.float64) if to_float else x
            return np.sqrt(np.full(1, (f * f).sum(), f.dtype))[0]
        return norm
    if kind == "sq":
        def norm(x, p):  # type: ignore[no-untyped-def]  # noqa: F811
            f = x.astype(np.float64) if to_float else x
            return np.sqrt((f * f).sum(axis=axis, keepdims=keep))
        return norm
    if kind in ("inf", "-inf"):
        high = kind == "inf"

        def norm(x, p):  # type: ignore[no-untyped-def]  # noqa: F811
            f = np.abs(x.astype(np.float64) if to_float else x)
            return f.max(axis=axis, keepdims=keep) if high else f.min(axis=axis, keepdims=keep)
        return norm
    if kind == "0":
        def norm(x, p):  # type: ignore[no-untyped-def]  # noqa: F811
            f = x.astype(np.float64) if to_float else x
            return (f != 0).astype(f.dtype).sum(axis=axis, keepdims=keep)
        return norm
    if kind == "1":
        def norm(x, p):  # type: ignore[no-untyped-def]  # noqa: F811
            f = x.astype(np.float64) if to_float else x
            return np.abs(f).sum(axis=axis, keepdims=keep)
        return norm
    if kind == "p":
        def norm(x, p):  # type: ignore[no-untyped-def]  # noqa: F811
            f = np.abs(x.astype(np.float64) if to_float else x)
            return (f ** p).sum(axis=axis, keepdims=keep) ** (1.0 / p)
        if axis is None and not keep:  # the root in the array's own dtype, as NumPy's in-place **=
            def norm(x, p):  # type: ignore[no-untyped-def]  # noqa: F811
                f = np.abs(x.astype(np.float64) if to_float else x)
                return (np.full(1, (f ** p).sum(), f.dtype) ** (1.0 / p))[0]
        return norm
    # The matrix norms of a 2-d array: column sums (ord 1, -1) or row sums (inf, -inf).
    rows = 0 if kind in ("m1", "mminus1") else 1
    high = kind in ("m1", "minf")

    def norm(x, p):  # type: ignore[no-untyped-def]  # noqa: F811
        f = np.abs(x.astype(np.float64) if to_float else x).sum(axis=rows)
        return f.max() if high else f.min()
    return norm


def _keep_scalar(np: Any, fail: Any, ones: tuple[int, ...], single: bool) -> Impl:
    # keepdims=True of a norm over every axis: the number as an all-ones-shaped array.
    dtype = np.float32 if single else np.float64

    def keep(r):  # type: ignore[no-untyped-def]
        return np.full(ones, r, dtype)
    return keep


def _cross(np: Any, fail: Any, one_d: bool) -> Impl:
    # 3-vectors along the last axis, NumPy's products and differences (its dtype rule);
    # both operands are 2-d here (a 1-d one is one row), broadcasting their rows.
    def cross(a, b):  # type: ignore[no-untyped-def]
        if a.shape[1] != 3 or b.shape[1] != 3:
            if (a.shape[1] == 2 or a.shape[1] == 3) and (b.shape[1] == 2 or b.shape[1] == 3):
                fail("ValueError", "np.cross of 2-element vectors (deprecated in NumPy 2) "
                     "is not supported in compiled code")
            fail("ValueError", MSG_CROSS)
        x = a[:, 1] * b[:, 2] - a[:, 2] * b[:, 1]
        y = a[:, 2] * b[:, 0] - a[:, 0] * b[:, 2]
        z = a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0]
        out = np.stack((x, y, z), axis=1)
        return out.reshape(3) if one_d else out
    return cross


# ------------------------------------------------------------------ grids and tests


def _argwhere(np: Any, fail: Any, ndim: int) -> Impl:
    # np.nonzero's index arrays as the columns (a tuple is indexed by constants only).
    if ndim == 1:
        def argwhere(a):  # type: ignore[no-untyped-def]
            return np.flatnonzero(a).reshape((-1, 1))
        return argwhere
    if ndim == 2:
        def argwhere(a):  # type: ignore[no-untyped-def]  # noqa: F811
            nz = np.nonzero(a)
            return np.stack((nz[0], nz[1]), axis=1)
        return argwhere

    def argwhere(a):  # type: ignore[no-untyped-def]  # noqa: F811 - 3-d
        nz = np.nonzero(a)
        return np.stack((nz[0], nz[1], nz[2]), axis=1)
    return argwhere


def _same_shape(np: Any, fail: Any, ndim: int) -> Impl:
    # Shapes compared dimension by dimension (up to 6): each test a constant bool, as a
    # conditional expression types only the live branch of a constant test.
    if ndim > 6:
        raise RuleError(f"comparing the shapes of {ndim}-d arrays is not supported in "
                        "compiled code (6 dimensions at most)")
    d0, d1, d2, d3, d4, d5 = (ndim > k for k in range(6))

    def same_shape(a, b):  # type: ignore[no-untyped-def]
        return ((a.shape[0] == b.shape[0] if d0 else True)
                and (a.shape[1] == b.shape[1] if d1 else True)
                and (a.shape[2] == b.shape[2] if d2 else True)
                and (a.shape[3] == b.shape[3] if d3 else True)
                and (a.shape[4] == b.shape[4] if d4 else True)
                and (a.shape[5] == b.shape[5] if d5 else True))
    return same_shape


def _meshgrid(np: Any, fail: Any, xy: bool) -> Impl:
    def meshgrid(x, y):  # type: ignore[no-untyped-def]
        xs = x.ravel()
        ys = y.ravel()
        if xy:
            gx = np.empty((ys.shape[0], xs.shape[0]), x.dtype)
            gy = np.empty((ys.shape[0], xs.shape[0]), y.dtype)
            gx[:, :] = xs
            gy[:, :] = ys[:, None]
        else:
            gx = np.empty((xs.shape[0], ys.shape[0]), x.dtype)
            gy = np.empty((xs.shape[0], ys.shape[0]), y.dtype)
            gx[:, :] = xs[:, None]
            gy[:, :] = ys
        return gx, gy
    return meshgrid


def _isclose(np: Any, fail: Any, equal_nan: bool, whole: bool) -> Impl:
    # NumPy 2's formula: y taken to a float dtype (result_type(y, 1.0): y * 1.0 is that,
    # exactly), rtol and atol weak Python floats; allclose is its all().
    def isclose(a, b, rtol, atol):  # type: ignore[no-untyped-def]
        y = b * 1.0
        result = (np.abs(a - y) <= atol + rtol * np.abs(y)) & np.isfinite(y) | (a == y)
        if equal_nan:
            result = result | (np.isnan(a) & np.isnan(y))
        return bool(np.all(result)) if whole else result
    return isclose


def _array_equal(np: Any, fail: Any, same_ndim: bool, equal_nan: bool, ndim: int) -> Impl:
    same_shape = implementation(np, fail, "same_shape", ndim)

    def array_equal(a, b):  # type: ignore[no-untyped-def]
        if not same_ndim:
            return False
        if not same_shape(a, b):
            return False
        if equal_nan:
            return bool(((a == b) | (np.isnan(a) & np.isnan(b))).all())
        return bool((a == b).all())
    return array_equal


def _round(np: Any, fail: Any, decimals: int, integer: bool, number: bool) -> Impl:
    # NumPy's PyArray_Round: rint(x * 10**d) / 10**d, or rint(x / 10**-d) * 10**-d for
    # d < 0, with the factor a (weak) Python float; ints are returned as they are.
    factor = 10.0 ** abs(decimals)
    if integer and number:
        def round_(a):  # type: ignore[no-untyped-def]
            return a
        return round_
    if integer:
        def round_(a):  # type: ignore[no-untyped-def]  # noqa: F811
            return a.copy()
        return round_
    if decimals == 0:
        def round_(a):  # type: ignore[no-untyped-def]  # noqa: F811
            return np.rint(a)
        return round_
    if decimals > 0:
        def round_(a):  # type: ignore[no-untyped-def]  # noqa: F811
            return np.rint(a * factor) / factor
        return round_

    def round_(a):  # type: ignore[no-untyped-def]  # noqa: F811
        return np.rint(a / factor) * factor
    return round_


def _interp(np: Any, fail: Any, scalar: bool, has_left: bool, has_right: bool) -> Impl:
    core = implementation(np, fail, "interp_core", has_left, has_right)
    if scalar:
        def interp(x, xp, fp, left, right):  # type: ignore[no-untyped-def]
            return core(np.full(1, x, np.float64), xp, fp, left, right)[0]
        return interp

    def interp(x, xp, fp, left, right):  # type: ignore[no-untyped-def]  # noqa: F811
        return core(x.ravel().astype(np.float64), xp, fp, left, right).reshape(x.shape)
    return interp


def _interp_core(np: Any, fail: Any, has_left: bool, has_right: bool) -> Impl:
    # NumPy's arr_interp (compiled_base.c) step by step, so every result is its bits.
    def interp(xs, xp, fp, left, right):  # type: ignore[no-untyped-def]
        dx = xp.astype(np.float64)
        dy = fp.astype(np.float64)
        n = dx.shape[0]
        if n == 0:
            fail("ValueError", MSG_INTERP_EMPTY)
        if dy.shape[0] != n:
            fail("ValueError", MSG_INTERP_LENGTHS)
        lval = float(left) if has_left else dy[0]
        rval = float(right) if has_right else dy[n - 1]
        out = np.empty(xs.shape[0], np.float64)
        for i in range(xs.shape[0]):
            v = xs[i]
            if n == 1:
                out[i] = lval if v < dx[0] else (rval if v > dx[0] else dy[0])
            elif v != v:
                out[i] = v
            elif v > dx[n - 1]:
                out[i] = rval
            elif v < dx[0]:
                out[i] = lval
            else:
                lo = 0
                hi = n
                while lo < hi:  # the last j with dx[j] <= v
                    mid = (lo + hi) // 2
                    if v >= dx[mid]:
                        lo = mid + 1
                    else:
                        hi = mid
                j = lo - 1
                if j == n - 1 or dx[j] == v:
                    out[i] = dy[j]
                else:
                    slope = (dy[j + 1] - dy[j]) / (dx[j + 1] - dx[j])
                    r = slope * (v - dx[j]) + dy[j]
                    if r != r:
                        r = slope * (v - dx[j + 1]) + dy[j + 1]
                        if r != r and dy[j] == dy[j + 1]:
                            r = dy[j]
                    out[i] = r
        return out
    return interp


_FACTORIES: dict[str, Callable[..., Impl]] = {
    "roll": _roll_flat, "roll_axis": _roll_axis, "diff": _diff, "take": _take_flat,
    "take_axis": _take_axis, "index_nd": _index_nd, "store_nd": _store_nd, "store_rows": _store_rows, "pairs": _pairs,
    "store_pairs": _store_pairs, "pair_count": _pair_count, "repeat": _repeat, "repeat_counts": _repeat_counts,
    "tile_axis": _tile_axis, "trace": _trace,
    "norm": _norm, "keep_scalar": _keep_scalar, "cross": _cross, "argwhere": _argwhere, "meshgrid": _meshgrid,
    "as_row": _as_row, "copy": _copy, "isclose": _isclose, "array_equal": _array_equal, "round": _round, "interp": _interp,
    "interp_core": _interp_core, "same_shape": _same_shape, "inner_size": _inner_size,
}

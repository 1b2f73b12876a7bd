"""Views and slicing against NumPy (see ``_gen``): basic indexing of every dtype, ndim and
layout, 0-size and 1-element shapes — values, the exception type (an index out of range),
and whether the result is a view — and slice assignment from scalars and from
overlapping views of the same array (NumPy copies an overlapping right-hand side first)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ._gen import DTYPES, agree, batch, edge_shapes, examples, kernel, signature, values

# Indexing expressions valid for every ndim >= 1 (the first axis), and for ndim >= 2.
GET_1 = ["a[1:]", "a[::-1]", "a[::2]", "a[-2::-2]", "a[1:-1]", "a[:0]", "a[5:1]", "a[0]",
         "a[-1]", "a[None]", "a[..., None]", "a[:, None]", "a.T", "a[...]", "a.ravel()",
         "a.reshape(-1)", "np.flip(a)", "a.transpose()", "a[2]", "a[-3:100:2]"]
GET_2 = ["a[0, 1:]", "a[:, 0]", "a[..., -1]", "a[::-1, ::2]", "a[1:, np.newaxis, ::-1]",
         "a[-1, -1]", "a[:, 1]", "a[1::2, :-1]", "a.T[0]", "a.reshape(a.shape[1], -1)"]
GETS = {src: kernel(f"view_{i}", f"def k(a):\n    return {src}\n")
        for i, src in enumerate(GET_1 + GET_2)}


@examples(40)
@given(st.sampled_from(GET_1 + GET_2), signature(), st.data())
def test_basic_indexing(src: str, sig, data) -> None:  # noqa: ANN001
    if src in GET_2 and sig[1] < 2:
        sig = (sig[0], 2, sig[2])
    for spec in data.draw(batch(sig, forced=edge_shapes(sig[1]))):
        agree(GETS[src], spec, shares=True)


# Slice assignment: the right-hand side a view of the same array (overlapping, reversed).
SET_SELF = ["a[1:] = a[:-1]", "a[:-1] = a[1:]", "a[::-1] = a", "a[::2] = a[1::2]",
            "a[1:] = a[:-1][::-1]", "a[...] = a[::-1]", "a[2:] = a[:-2] * 2",
            "a[:] = a[0]", "a[1:] = a[:2]"]
SET_SELF_2 = ["a[1:, :] = a[:-1, ::-1]", "a[:, 1:] = a[:, :-1]", "a[...] = a.T",
              "a[::-1] = a[0]", "a[1:] = a[:1]", "a[:, ::2] = a[:, -1:]"]
SETS = {src: kernel(f"setself_{i}", f"def k(a):\n    {src}\n    return a\n")
        for i, src in enumerate(SET_SELF + SET_SELF_2)}


@examples(40)
@given(st.sampled_from(SET_SELF + SET_SELF_2), signature(), st.data())
def test_slice_assignment_with_overlap(src: str, sig, data) -> None:  # noqa: ANN001
    if src in SET_SELF_2 and sig[1] < 2:
        sig = (sig[0], 2, sig[2])
    for spec in data.draw(batch(sig, forced=edge_shapes(sig[1]))):
        agree(SETS[src], spec)


SET_SCALAR = kernel("set_scalar", "def k(a, v):\n    a[1::2] = v\n    a[-1:] = v\n    return a\n")
SET_ARRAY = kernel("set_array", "def k(a, b):\n    a[::-1] = b\n    return a\n")


@examples(40)
@given(signature(ndims=(1, 2)), st.sampled_from(DTYPES), st.data())
def test_slice_assignment_from_scalars(sig, vdtype: str, data) -> None:  # noqa: ANN001
    # A weak Python scalar of another kind: NumPy 2 raises OverflowError for an int out of
    # the array's range, casts a float to an int array unsafely (no error), and so on.
    v = data.draw(values(vdtype))
    v = bool(v) if vdtype == "bool" else float(v) if vdtype[0] == "f" else int(v)
    for spec in data.draw(batch(sig, n=3, forced=edge_shapes(sig[1]))):
        agree(SET_SCALAR, spec, v)


@examples(30)
@given(signature(ndims=(1, 2)), st.sampled_from(DTYPES), st.data())
def test_slice_assignment_from_arrays(sig, bdtype: str, data) -> None:  # noqa: ANN001
    # b broadcasts to a (or not: ValueError) and is cast to a's dtype unsafely, as NumPy's
    # setitem does.
    (a_spec,) = data.draw(batch(sig, n=1))
    shape = a_spec.shape[data.draw(st.integers(0, len(a_spec.shape))):]
    if shape and data.draw(st.booleans()):
        shape = (1,) + shape[1:] if data.draw(st.booleans()) else shape[:-1] + (shape[-1] + 1,)
    (b_spec,) = data.draw(batch((bdtype, len(shape), "C"), n=1, forced=(shape,))) if shape \
        else [data.draw(values(bdtype))]
    agree(SET_ARRAY, a_spec, b_spec)

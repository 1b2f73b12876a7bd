"""NumPy's own FFT inner loops, called from compiled code: ``np.fft.fft`` and friends are
bit for bit NumPy's because they run NumPy's code on the same buffers.

NumPy 2 implements ``np.fft`` as generalized ufuncs in ``numpy.fft._pocketfft_umath``
(``fft``, ``ifft``, ``rfft_n_even``, ``rfft_n_odd``, ``irfft``; signature
``(n),()->(m)``: the signal and the normalisation factor ``fct``). A ufunc object is a
``PyUFuncObject`` (NumPy's public ``ufuncobject.h``), whose leading fields are::

    PyObject_HEAD; int nin, nout, nargs, identity;
    PyUFuncGenericFunction *functions; void *const *data; int ntypes, reserved1;
    const char *name; const char *types; ...

``functions[i]`` is the inner loop of type signature ``i`` (``types[i*nargs:...]``) and
``data[i]`` its extra argument (the direction flag; ``data`` may be NULL). At compile
time :func:`find_fft` checks those offsets against what the ufunc says of itself in
Python (``nin``, ``nout``, ``ntypes``, the ``types`` bytes) and picks the loop NumPy's
own type resolution picks (``ufunc.resolve_dtypes``: NumPy 2.x computes ``fft`` of
complex64 in double when ``fct`` is the Python int 1, in single precision otherwise).
At run time, once per process and loop, compiled code imports the module, reads the
two pointers out of the ufunc and keeps them in a private global (:func:`loop_pointers`):
no address is baked into the object code, so a cached or AOT-built entry works in any
process. The loop is then called as NumPy's ufunc machinery calls it::

    loop(args={in, &fct, out}, dimensions={1, n_in, n_out},
         steps={0, 0, 0, in_stride, out_stride}, data)

NumPy 1.26 has no such ufuncs (its pocketfft is a private C function behind a Python
wrapper): :func:`find_fft` returns None there and compiled ``np.fft`` is refused with a
clear error. The cache key covers the module's file (cache/key.py's
``numpy_fingerprint`` stats it with NumPy's other files).
"""

from __future__ import annotations

import functools
import sys

from ember.support.record import record

#: The module that holds NumPy 2's FFT ufuncs.
MODULE = "numpy.fft._pocketfft_umath"
#: The ufuncs compiled code calls.
UFUNCS = ("fft", "ifft", "rfft_n_even", "rfft_n_odd", "irfft")
#: Byte offsets of PyUFuncObject's fields after a 16-byte PyObject_HEAD (64-bit CPython).
OFFSET_NIN, OFFSET_NOUT, OFFSET_NARGS = 16, 20, 24
OFFSET_FUNCTIONS, OFFSET_DATA, OFFSET_NTYPES, OFFSET_TYPES = 32, 40, 48, 64


@record
class FftLoop:
    """One inner loop of one FFT ufunc: its position in the ufunc's tables and the
    dtypes it computes in (``in_dtype``, ``fct_dtype``, ``out_dtype``: NumPy names)."""

    ufunc: str
    index: int
    ntypes: int
    in_dtype: str
    fct_dtype: str
    out_dtype: str


def _layout_matches(ufunc: object) -> bool:
    """Whether ``ufunc``'s struct fields sit where :data:`OFFSET_NIN` ... say (read through
    ctypes, compared with what the ufunc reports in Python)."""
    import ctypes  # compile time only

    base = id(ufunc)
    nin, nout, nargs, ntypes = (ctypes.c_int.from_address(base + off).value
                                for off in (OFFSET_NIN, OFFSET_NOUT, OFFSET_NARGS, OFFSET_NTYPES))
    if (nin, nout, nargs, ntypes) != (ufunc.nin, ufunc.nout, ufunc.nargs, ufunc.ntypes):  # type: ignore[attr-defined]
        return False
    if not ctypes.c_void_p.from_address(base + OFFSET_FUNCTIONS).value:
        return False
    types = ctypes.c_void_p.from_address(base + OFFSET_TYPES).value
    if not types:
        return False
    np = sys.modules["numpy"]  # loaded: find_fft checked (no import: frontend uses this)
    codes = list(ctypes.string_at(types, ntypes * nargs))
    expected = [np.dtype(c).num for t in ufunc.types for c in t.replace("->", "")]  # type: ignore[attr-defined]
    return codes == expected


@functools.cache
def find_fft() -> tuple[str, ...] | None:
    """The FFT ufuncs' names when NumPy 2's ``_pocketfft_umath`` is there and its ufuncs
    have the expected layout, else None (NumPy 1.x, another build, no NumPy)."""
    if "numpy" not in sys.modules:
        return None
    try:
        import importlib  # compile time only

        module = importlib.import_module(MODULE)
    except ImportError:
        return None
    for name in UFUNCS:
        ufunc = getattr(module, name, None)
        if ufunc is None or getattr(ufunc, "signature", None) is None or not _layout_matches(ufunc):
            return None
    return UFUNCS


def choose(ufunc: str, in_dtype: str, fct: str, out_dtype: str) -> FftLoop:
    """The loop NumPy's type resolution picks for ``ufunc(a, fct, out=out)``: ``in_dtype``
    and ``out_dtype`` are dtype names, ``fct`` a dtype name or ``"int"`` (NumPy passes
    the Python int 1 when no scaling is asked for)."""
    import importlib  # compile time only

    np = sys.modules["numpy"]
    u = getattr(importlib.import_module(MODULE), ufunc)
    weak: object = int if fct == "int" else np.dtype(fct)
    dtypes = u.resolve_dtypes((np.dtype(in_dtype), weak, np.dtype(out_dtype)))
    code = "".join(d.char for d in dtypes[:2]) + "->" + dtypes[2].char
    return FftLoop(ufunc, list(u.types).index(code), u.ntypes,
                   dtypes[0].name, dtypes[1].name, dtypes[2].name)

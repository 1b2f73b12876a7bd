"""The BLAS that the installed NumPy ships, found without SciPy: its path and its
symbol names (compile time), and its thread count.

NumPy 2 wheels bundle scipy-openblas (``numpy.libs/libscipy_openblas64_-<hash>.so`` on
Linux, ``numpy/.dylibs`` on macOS, ``numpy.libs`` next to the package on Windows), with
its symbols prefixed and suffixed (``scipy_cblas_dgemm64_``: 64-bit integers). NumPy's
own extension module names that file as a dependency, so it is loaded whenever NumPy
is. :func:`find_blas` probes the known spellings of ``cblas_dgemm`` in it::

    blas = find_blas()      # Blas(path='.../libscipy_openblas64_-32a4b2a6.so',
    blas.symbol("dgemm")    #      prefix='scipy_cblas_', suffix='64_', int_bits=64)
                            # 'scipy_cblas_dgemm64_'

``EMBER_BLAS=none`` in the environment forces the compiled fallback kernel (tests do);
``EMBER_BLAS=/path/libopenblas.so`` uses that library instead of NumPy's (its CBLAS and
LAPACK symbols probed the same way). The same library's LAPACK (``scipy_dgesv_64_``:
Fortran calling convention, every argument by address) serves ``np.linalg``
(:meth:`Blas.lapack`, :func:`find_lapack`).
Thread count: OpenBLAS's own pool (``OPENBLAS_NUM_THREADS``, or threadpoolctl, which calls
the same ``scipy_openblas_set_num_threads64_`` :func:`set_num_threads` calls); compiled
code calls BLAS from the calling thread, so ember adds no threads of its own.
"""

from __future__ import annotations

import ctypes
import functools
import glob
import os
import sys

from ember.support.record import record

#: (cblas prefix, suffix, integer bits, thread-setter prefix), most specific first.
_SPELLINGS = (
    ("scipy_cblas_", "64_", 64, "scipy_openblas_"),
    ("scipy_cblas_", "", 32, "scipy_openblas_"),
    ("cblas_", "64_", 64, "openblas_"),
    ("cblas_", "", 32, "openblas_"),
)


@record
class Blas:
    """One BLAS library: where it is and how its CBLAS functions are spelled."""

    path: str
    prefix: str
    suffix: str
    int_bits: int
    openblas: str  # prefix of openblas_set_num_threads / get_num_threads

    def symbol(self, routine: str) -> str:
        """The exported name of CBLAS ``routine`` (``"dgemm"``)."""
        return f"{self.prefix}{routine}{self.suffix}"

    def lapack(self, routine: str) -> str:
        """The exported name of Fortran LAPACK ``routine`` (``"dgesv"`` →
        ``scipy_dgesv_64_`` in NumPy 2's scipy-openblas, ``dgesv_`` in a plain OpenBLAS)."""
        scipy = "scipy_" if self.prefix.startswith("scipy_") else ""
        return f"{scipy}{routine}_{self.suffix}" if self.suffix else f"{scipy}{routine}_"


def _candidates() -> list[str]:
    """Shared objects bundled with the installed NumPy that may hold a BLAS."""
    import numpy  # compile time only: the BLAS is NumPy's

    chosen = os.environ.get("EMBER_BLAS", "")
    if chosen and chosen.lower() != "none":
        return [chosen]
    root = os.path.dirname(os.path.abspath(numpy.__file__))
    found: list[str] = []
    for folder in (root + ".libs", os.path.join(os.path.dirname(root), "numpy.libs"),
                   os.path.join(root, ".dylibs")):
        for pattern in ("*openblas*", "*blas*"):
            found += sorted(glob.glob(os.path.join(folder, pattern)))
    return list(dict.fromkeys(found))


@functools.cache
def find_blas() -> Blas | None:
    """NumPy's bundled BLAS, or None (no NumPy, no bundled BLAS, or ``EMBER_BLAS=none``):
    then matrix products use ember's compiled kernel."""
    if os.environ.get("EMBER_BLAS", "").lower() == "none" or "numpy" not in sys.modules:
        return None
    for path in _candidates():
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for prefix, suffix, bits, openblas in _SPELLINGS:
            if hasattr(lib, f"{prefix}dgemm{suffix}") and hasattr(lib, f"{prefix}sgemm{suffix}"):
                return Blas(path, prefix, suffix, bits, openblas)
    return None


@functools.cache
def find_lapack() -> Blas | None:
    """:func:`find_blas`'s library when it also exports LAPACK (``dgesv`` and the rest
    np.linalg needs, checked once here), else None: then ``np.linalg`` calls are refused
    at compile time with a clear error."""
    blas = find_blas()
    if blas is None:
        return None
    lib = ctypes.CDLL(blas.path)
    if all(hasattr(lib, blas.lapack(r)) for r in LAPACK_ROUTINES):
        return blas
    return None


#: The LAPACK routines compiled np.linalg calls (double precision: NumPy computes in it).
LAPACK_ROUTINES = ("dgesv", "dgetrf", "dpotrf", "dgeqrf", "dorgqr", "dgesdd", "dsyevd", "dgeev",
                   "dgelsd")


def _thread_function(action: str) -> ctypes._CFuncPtr | None:
    blas = find_blas()
    if blas is None:
        return None
    lib = ctypes.CDLL(blas.path)
    for suffix in (blas.suffix, "64_", "_64_", ""):
        fn = getattr(lib, f"{blas.openblas}{action}_num_threads{suffix}", None)
        if fn is not None:
            return fn
    return None


def get_num_threads() -> int | None:
    """The number of threads NumPy's OpenBLAS (and so compiled ``@``) uses, or None."""
    fn = _thread_function("get")
    if fn is None:
        return None
    fn.restype = ctypes.c_int
    return int(fn())


def set_num_threads(n: int) -> None:
    """Set OpenBLAS's thread count for NumPy and compiled code alike (what
    threadpoolctl's ``threadpool_limits(n, "blas")`` does). No-op without a BLAS."""
    fn = _thread_function("set")
    if fn is not None:
        fn.argtypes = [ctypes.c_int]
        fn(int(n))

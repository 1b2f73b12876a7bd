"""Typed-IR node for ``np.fft.fft/ifft/rfft/irfft`` (1-D), built by
:mod:`ember.native.frontend.fft` and lowered by :mod:`ember.native.codegen.fft`::

    np.fft.fft(x)               FFT("fft", x, None, "backward"): array(complex128, 1d, C)
    np.fft.irfft(z, 8, "ortho") FFT("irfft", z, 8, "ortho"): array(float64, 1d, C)

No ast and no llvmlite here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ember.diagnostics import Span
from ember.native.ir.nodes import Node
from ember.native.types import Type
from ember.support.record import record

if TYPE_CHECKING:  # annotations only: ir/arrays.py imports this module
    from ember.native.ir.arrays import AnyExpr

#: The transforms :class:`FFT` computes (``np.fft``'s names).
FFT_FUNCS = ("fft", "ifft", "rfft", "irfft")
#: ``norm=`` values NumPy accepts (None is "backward").
NORMS = ("backward", "ortho", "forward")


@record
class FFT(Node):
    """``np.fft.<func>(array, n, norm=norm)`` of a 1-D array: a new C array of NumPy's
    result dtype (``type``). ``n`` is an int64 expression, or None for NumPy's default
    (the input's length; ``2 * (length - 1)`` for irfft); n < 1 raises NumPy's
    ValueError at run time."""

    func: str
    array: AnyExpr
    n: AnyExpr | None
    type: Type
    span: Span
    norm: str = "backward"

"""Typing rules for ``np.fft.fft``, ``np.fft.ifft``, ``np.fft.rfft``, ``np.fft.irfft`` of a
1-D array → :class:`ember.native.ir.fft.FFT`::

    np.fft.fft(x)                 (x: float64 1d)    → FFT: array(complex128, 1d, C)
    np.fft.rfft(x, 16)            (x: float32 1d)    → FFT: array(complex64, 1d, C)
    np.fft.irfft(z, norm="ortho") (z: complex128 1d) → FFT: array(float64, 1d, C)

The result dtype is NumPy's (``np.result_type(a.dtype, 1j)``; irfft's the real dtype of
``np.result_type(a.real.dtype, 1.0)``), asked of the NumPy in ``sys.modules``. ``n`` is
any int expression; ``axis`` (-1 or 0) and ``norm`` must be constants. Hook:
:mod:`ember.native.frontend.expressions` asks :func:`numpy_function_name` before the
other NumPy functions.
"""

from __future__ import annotations

import ast
import sys
from typing import TYPE_CHECKING

from ember.native.boundary.pocketfft import find_fft
from ember.native.frontend.builtins import cast
from ember.native.frontend.unknown import is_unknown
from ember.native.ir.fft import FFT, FFT_FUNCS, NORMS
from ember.native.ir.nodes import Const
from ember.native.types import BOOL, INT64, Array, DType

if TYPE_CHECKING:  # annotations only: expressions imports this module
    from ember.native.frontend.expressions import ExprTyper
    from ember.native.ir.arrays import AnyExpr

#: The names README's list shows (numpy_api.py).
NUMPY_NAMES = tuple(f"fft.{name}" for name in FFT_FUNCS)
_PARAMS = ("a", "n", "axis", "norm")


def numpy_function_name(value: object) -> str | None:
    """``"fft"`` if ``value`` is ``numpy.fft.fft`` (and so on for :data:`FFT_FUNCS`)."""
    np = sys.modules.get("numpy")
    fft = getattr(np, "fft", None) if np is not None else None
    if fft is None:
        return None
    for name in FFT_FUNCS:
        if value is getattr(fft, name, None):
            return name
    return None


def result_dtype(func: str, dtype: DType) -> DType:
    """What NumPy's ``np.fft.<func>`` returns for an input of ``dtype``."""
    np = sys.modules["numpy"]  # NumPy's own promotion rules (find_fft saw it loaded)

    if func == "irfft":
        real = np.result_type(np.zeros(0, dtype.name).real.dtype, 1.0)
        return DType(np.dtype(real).name)
    return DType(np.dtype(np.result_type(np.dtype(dtype.name), 1j)).name)


def _bind(typer: ExprTyper, name: str, node: ast.Call) -> dict[str, ast.expr]:
    shown = f"np.fft.{name}"
    if len(node.args) > len(_PARAMS):
        raise typer.error(node, f"{shown}() takes at most {len(_PARAMS)} arguments here",
                          f"write {shown}(a, n, axis, norm)")
    bound = dict(zip(_PARAMS, node.args, strict=False))
    for k in node.keywords:
        if k.arg not in _PARAMS or k.arg in bound:
            raise typer.error(k, f"{shown}() keyword '{k.arg}' is not supported in compiled code",
                              "arguments: a, n, axis, norm (out= is not supported)")
        bound[k.arg] = k.value
    if "a" not in bound:
        raise typer.error(node, f"{shown}() needs the argument 'a'")
    return bound


def _constant(typer: ExprTyper, name: str, node: ast.expr, what: str, example: str) -> object:
    value = typer.expr(node)
    if not isinstance(value, Const):
        raise typer.error(node, f"np.fft.{name}(): {what} must be a constant in compiled code",
                          f"write it literally, e.g. {what}={example}")
    return value.value


def numpy_call(typer: ExprTyper, name: str, node: ast.Call) -> AnyExpr:
    """``np.fft.<name>(a, n=None, axis=-1, norm=None)``."""
    shown = f"np.fft.{name}"
    bound = _bind(typer, name, node)
    if find_fft() is None:
        version = getattr(sys.modules.get("numpy"), "__version__", "?")
        raise typer.error(node, f"{shown}() in compiled code needs NumPy 2's FFT ufuncs "
                          f"(numpy.fft._pocketfft_umath); NumPy {version} has none",
                          "install NumPy >= 2.0, or call it outside the @jit function")
    a = typer.expr(bound["a"])
    n: AnyExpr | None = None
    if "n" in bound and not (isinstance(bound["n"], ast.Constant) and bound["n"].value is None):
        n = typer.expr(bound["n"])
        if not is_unknown(n.type) and n.type not in (INT64, BOOL):
            raise typer.error(bound["n"], f"{shown}(): n must be an int, not {n.type}",
                              "pass the number of points as an int: n=len(x)")
    if is_unknown(a.type) or (n is not None and is_unknown(n.type)):
        return typer.unknown(node)
    t = a.type
    if not isinstance(t, Array):
        raise typer.error(bound["a"], f"{shown}() needs an array here, not {t}",
                          "pass a 1-D array: np.array([...])")
    if t.ndim != 1:
        raise typer.error(bound["a"], f"{shown}() of a {t.ndim}-D array is not supported in "
                          "compiled code (1-D only)", f"loop over the rows: {shown}(a[i])")
    if name == "rfft" and t.dtype.kind == "c":
        raise typer.error(bound["a"], f"{shown}() of a complex array: NumPy refuses it "
                          "(TypeError: no real input)", "np.fft.fft(a) transforms complex input")
    if "axis" in bound:
        axis = _constant(typer, name, bound["axis"], "axis", "-1")
        if isinstance(axis, bool) or axis not in (0, -1):
            raise typer.error(bound["axis"], f"{shown}(): axis {axis} is out of bounds for "
                              "array of dimension 1", "leave axis out (a 1-D array has axis 0)")
    norm = "backward"
    if "norm" in bound:
        value = _constant(typer, name, bound["norm"], "norm", '"ortho"')
        if value is not None:
            if value not in NORMS:
                raise typer.error(bound["norm"], f'Invalid norm value {value!r}; should be '
                                  '"backward", "ortho" or "forward".', 'norm="ortho"')
            norm = str(value)
    if n is not None:
        n = cast(n, INT64)
    return FFT(name, a, n, Array(result_dtype(name, t.dtype), 1, "C"), typer.span(node), norm)

"""Typing rules for ``np.linalg`` (solve, inv, det, cholesky, qr, svd, eigh, eigvalsh,
eig, eigvals, lstsq, pinv, matrix_power) and ``np.kron`` → :class:`ember.native.ir.linalg.LinAlg`::

    np.linalg.solve(a, b)   LinAlg("solve", (a, b)): array(float64, 1d, C)   (b: 1d)
    np.linalg.qr(a)         LinAlg("qr", (a,), 'reduced'): tuple[array(...), array(...)]

NumPy computes every one of these in float64 and returns float32 only when every operand
is float32 (``_commonType``); so do these rules. Only 2-D operands (one matrix, not a
stack); keywords must be constants. Hook: :mod:`ember.native.frontend.linalg` (the
products' rules) asks :func:`numpy_function_name` and hands these calls over.
NumPy is looked up in ``sys.modules`` only.
"""

from __future__ import annotations

import ast
import sys
from typing import TYPE_CHECKING

from ember.native.frontend.builtins import cast
from ember.native.frontend.unknown import is_unknown
from ember.native.ir.arrays import AnyExpr, compute_type
from ember.native.ir.linalg import LINALG_FUNCS, LinAlg, result_dtype
from ember.native.ir.nodes import Const
from ember.native.types import BOOL, FLOAT64, INT64, Array, DType, Tuple, Type

if TYPE_CHECKING:  # annotations only: expressions imports this module
    from ember.native.frontend.expressions import ExprTyper

#: Each function's parameters as NumPy spells them (positional or keyword).
_PARAMS = {
    "solve": ("a", "b"), "inv": ("a",), "det": ("a",), "cholesky": ("a", "upper"),
    "qr": ("a", "mode"), "svd": ("a", "full_matrices", "compute_uv", "hermitian"),
    "eigh": ("a", "UPLO"), "eigvalsh": ("a", "UPLO"), "pinv": ("a",),
    "matrix_power": ("a", "n"), "kron": ("a", "b"), "eig": ("a",), "eigvals": ("a",),
    "lstsq": ("a", "b", "rcond"),
}


#: The names README's list shows (numpy_api.py): ``kron``, ``linalg.solve`` ...
NUMPY_NAMES = tuple(n if n == "kron" else f"linalg.{n}" for n in LINALG_FUNCS)


def numpy_function_name(value: object) -> str | None:
    """``"solve"`` if ``value`` is ``numpy.linalg.solve`` (and so on; ``"kron"`` for
    ``numpy.kron``)."""
    np = sys.modules.get("numpy")
    if np is None:
        return None
    if value is getattr(np, "kron", None):
        return "kron"
    linalg = getattr(np, "linalg", None)
    for name in LINALG_FUNCS:
        if name != "kron" and value is getattr(linalg, name, None):
            return name
    return None


def _numpy_params(name: str) -> tuple[str, ...]:
    """The parameters the installed NumPy's function takes (NumPy 1.26's cholesky has
    no ``upper``): compiled code accepts no keyword that NumPy itself would refuse."""
    import inspect  # compile time only, and only for a keyword argument

    np = sys.modules["numpy"]
    func = np.kron if name == "kron" else getattr(np.linalg, name)
    try:
        return tuple(inspect.signature(func).parameters)
    except (TypeError, ValueError):  # no signature to read: trust the table
        return _PARAMS[name]


def _shown(name: str) -> str:
    return "np.kron" if name == "kron" else f"np.linalg.{name}"


def _bind(typer: ExprTyper, name: str, node: ast.Call) -> dict[str, ast.expr]:
    params = _PARAMS[name]
    if len(node.args) > len(params):
        raise typer.error(node, f"{_shown(name)}() takes at most {len(params)} arguments here")
    bound = dict(zip(params, node.args, strict=False))
    for k in node.keywords:
        if k.arg in params and k.arg not in _numpy_params(name):
            np_version = getattr(sys.modules.get("numpy"), "__version__", "?")
            raise typer.error(k, f"{_shown(name)}() has no keyword '{k.arg}' in NumPy "
                              f"{np_version}", "NumPy 2 added it; leave it out here")
        if k.arg not in params or k.arg in bound:
            raise typer.error(k, f"{_shown(name)}() keyword '{k.arg}' is not supported in "
                              "compiled code", f"arguments: {', '.join(params)}")
        bound[k.arg] = k.value
    need = 2 if name in ("solve", "matrix_power", "kron", "lstsq") else 1
    missing = [p for p in params[:need] if p not in bound]
    if missing:
        raise typer.error(node, f"{_shown(name)}() needs the argument '{missing[0]}'")
    return bound


def _constant(typer: ExprTyper, name: str, node: ast.expr, what: str) -> object:
    value = typer.expr(node)
    if not isinstance(value, Const):
        raise typer.error(node, f"{_shown(name)}(): {what} must be a constant in compiled code",
                          f"write it literally, e.g. {what}=True")
    return value.value


def _matrix(typer: ExprTyper, name: str, node: ast.expr, ndims: tuple[int, ...] = (2,)) -> AnyExpr:
    value = typer.expr(node)
    t = value.type
    if is_unknown(t):
        return value
    if not isinstance(t, Array):
        raise typer.error(node, f"{_shown(name)}() needs an array here, not {t}",
                          "pass a 2-D array (np.array([[...]]))")
    if t.ndim not in ndims:
        shown = " or ".join(f"{d}-D" for d in ndims)
        hint = ("a stack of matrices: loop over it and call it per matrix" if t.ndim > 2
                else "pass a 2-D array: a.reshape(1, -1) or a[:, None]")
        raise typer.error(node, f"{_shown(name)}() of a {t.ndim}-D array is not supported in "
                          f"compiled code ({shown} only)", hint)
    if t.dtype.kind == "b" and name in ("matrix_power", "kron"):
        raise typer.error(node, f"{_shown(name)}() of a bool array is not supported",
                          "convert first: a.astype(np.int64)")
    if t.dtype.kind not in "fiub":
        raise typer.error(node, f"{_shown(name)}() of {t.dtype} arrays is not supported",
                          "convert first: a.astype(np.float64)")
    return value


def linalg_dtype(*dtypes: DType) -> DType:
    """NumPy's ``_commonType`` result type: float32 if every operand is float32."""
    return DType("float32") if all(d.name == "float32" for d in dtypes) else DType("float64")


def numpy_call(typer: ExprTyper, name: str, node: ast.Call) -> AnyExpr:
    """``np.linalg.<name>(...)`` or ``np.kron(a, b)``."""
    bound = _bind(typer, name, node)
    stackable = name in STACKABLE or name == "solve"
    a = _matrix(typer, name, bound["a"], tuple(range(2, 33)) if stackable else (2,))
    span = typer.span(node)
    second: AnyExpr | None = None
    if name in ("solve", "kron", "lstsq"):
        ndims = (2,) if name == "kron" else tuple(range(1, 33)) if name == "solve" else (1, 2)
        second = _matrix(typer, name, bound["b"], ndims)
    elif name == "matrix_power":
        second = typer.expr(bound["n"])
        if not is_unknown(second.type) and second.type not in (INT64, BOOL):
            raise typer.error(bound["n"], f"np.linalg.matrix_power(): the exponent must be an "
                              f"int, not {second.type}")
    if is_unknown(a.type) or (second is not None and is_unknown(second.type)):
        return typer.unknown(node)
    at = a.type
    assert isinstance(at, Array)
    args: tuple[AnyExpr, ...] = (a,)
    dtype = linalg_dtype(at.dtype)
    option = ""
    if name in ("solve", "kron", "lstsq"):
        assert second is not None and isinstance(second.type, Array)
        args = (a, second)
        dtype = (result_dtype(at.dtype, second.type.dtype) if name == "kron"
                 else linalg_dtype(at.dtype, second.type.dtype))
    if name == "matrix_power":
        assert second is not None
        args = (a, cast(second, INT64))
        negative = isinstance(second, Const) and int(second.value) < 0
        dtype = at.dtype if at.dtype.kind == "f" or not negative else DType("float64")
    vector = Array(dtype, 1, "C")
    matrix = Array(dtype, 2, "C")
    result: Type = matrix
    if name == "solve":
        assert second is not None and isinstance(second.type, Array)
        result = _solve_type(typer, node, at, second.type, dtype)
    elif name == "lstsq":
        assert second is not None and isinstance(second.type, Array)
        result = Tuple((Array(dtype, second.type.ndim, "C"), vector, INT64, vector))
        rcond = bound.get("rcond")
        if rcond is not None and not (isinstance(rcond, ast.Constant) and rcond.value is None):
            value = typer.expr(rcond)
            if is_unknown(value.type):
                return typer.unknown(node)
            if value.type not in (FLOAT64, INT64, BOOL):
                raise typer.error(rcond, f"np.linalg.lstsq(): rcond must be a float, not {value.type}")
            args = (a, second, cast(value, FLOAT64))
    elif name == "eig":
        result = Tuple((vector, matrix))
    elif name == "eigvals":
        result = vector
    elif name == "det":
        result = compute_type(dtype)
    elif name == "cholesky":
        upper = bound.get("upper")
        option = "U" if upper is not None and _constant(typer, name, upper, "upper") else "L"
    elif name in ("eigh", "eigvalsh"):
        uplo = bound.get("UPLO")
        option = "L" if uplo is None else str(_constant(typer, name, uplo, "UPLO")).upper()
        if option not in ("L", "U"):
            raise typer.error(node, "UPLO argument must be 'L' or 'U'")
        result = Tuple((vector, matrix)) if name == "eigh" else vector
    elif name == "qr":
        mode = bound.get("mode")
        option = "reduced" if mode is None else str(_constant(typer, name, mode, "mode"))
        if option not in ("reduced", "complete", "r"):
            raise typer.error(node, f"np.linalg.qr(mode={option!r}) is not supported in "
                              "compiled code", "modes: 'reduced', 'complete', 'r'")
        result = matrix if option == "r" else Tuple((matrix, matrix))
    elif name == "svd":
        result, option = _svd(typer, bound, vector, matrix)
    elif name == "pinv":
        option = "S"
    if at.ndim > 2 and name != "solve":  # a stack: each result gains the batch axes
        result = _stacked(result, at.ndim - 2, dtype)
    return LinAlg(name, args, result, span, option)


def _solve_type(typer: ExprTyper, node: ast.Call, at: Array, bt: Array, dtype: DType) -> Type:
    """solve's result: b 1-D is one vector for every matrix; else stacks broadcast."""
    np_major = str(getattr(sys.modules.get("numpy"), "__version__", "2")).split(".")[0]
    if np_major.isdigit() and int(np_major) < 2 and at.ndim > 2 and bt.ndim in (1, at.ndim - 1):
        # NumPy 1 reads b as a stack of vectors exactly when b.ndim == a.ndim - 1 (and
        # refuses a 1-D b for a stack); NumPy 2 reads only a 1-D b as a vector
        raise typer.error(node, "np.linalg.solve(a, b) of a stack a with this b means "
                          "different things in NumPy 1 and 2; compiled code follows NumPy 2",
                          "say which: b[..., None] (a stack of vectors, then [..., 0])")
    batch = max(at.ndim - 2, bt.ndim - 2 if bt.ndim > 1 else 0)
    return Array(dtype, batch + (1 if bt.ndim == 1 else 2), "C")


#: The functions that take a stack of matrices (..., m, n) here, as NumPy's gufuncs do.
STACKABLE = ("inv", "det", "cholesky", "eigh", "eigvalsh", "eig", "eigvals", "svd", "qr")


def _stacked(t: Type, batch: int, dtype: DType) -> Type:
    if isinstance(t, Tuple):
        return Tuple(tuple(_stacked(item, batch, dtype) for item in t.items))
    if isinstance(t, Array):
        return Array(t.dtype, t.ndim + batch, "C")
    return Array(dtype, batch, "C")  # det: an array of determinants


def _svd(typer: ExprTyper, bound: dict[str, ast.expr], vector: Array, matrix: Array
         ) -> tuple[Type, str]:
    def flag(key: str, default: bool) -> bool:
        return default if key not in bound else bool(_constant(typer, "svd", bound[key], key))

    if flag("hermitian", False):
        raise typer.error(bound["hermitian"], "np.linalg.svd(hermitian=True) is not supported "
                          "in compiled code", "np.linalg.eigh(a) gives the same factors")
    if not flag("compute_uv", True):
        return vector, "N"
    return Tuple((matrix, vector, matrix)), "A" if flag("full_matrices", True) else "S"

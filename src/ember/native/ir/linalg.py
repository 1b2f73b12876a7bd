"""Typed-IR nodes for matrix products (``a @ b``, ``np.dot`` ...), built by
:mod:`ember.native.frontend.linalg` and lowered by :mod:`ember.native.codegen.matmul`::

    a @ b          MatMul("matmul", a, b): array(float64, 2d, C)   (a, b: float64 2d)
    np.dot(x, y)   MatMul("dot", x, y): float64                    (x, y: float64 1d)

No ast and no llvmlite here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ember.diagnostics import Span
from ember.native.ir.nodes import Node
from ember.native.types import DType, Type
from ember.support.record import record

if TYPE_CHECKING:  # annotations only: ir/arrays.py imports this module
    from ember.native.ir.arrays import AnyExpr

#: The products :class:`MatMul` computes (NumPy's function names; ``@`` is "matmul").
FUNCS = ("matmul", "dot", "inner", "vdot", "outer")


@record
class MatMul(Node):
    """``func(left, right)`` of 1-D/2-D real or complex arrays: a new C array of NumPy's result dtype
    (``np.result_type``), or a scalar of its compute type for two vectors. The core
    dimensions are checked at run time (NumPy's ValueError text for ``func``)."""

    func: str
    left: AnyExpr
    right: AnyExpr
    type: Type
    span: Span


#: The ``np.linalg`` functions (and ``np.kron``) :class:`LinAlg` computes, and what each returns.
LINALG_FUNCS = {
    "solve": "np.linalg.solve(a, b): x with a @ x == b (b: (n,) or (n, k))",
    "inv": "np.linalg.inv(a)",
    "det": "np.linalg.det(a): a float",
    "cholesky": "np.linalg.cholesky(a, upper=False): L (option 'U': the upper factor)",
    "qr": "np.linalg.qr(a): (Q, R), mode 'reduced' (option: 'reduced' | 'complete' | 'r')",
    "svd": "np.linalg.svd(a, full_matrices, compute_uv): option 'A' | 'S' (U, S, Vh), 'N' (S)",
    "eigh": "np.linalg.eigh(a, UPLO): (w, v), option 'L' | 'U'",
    "eigvalsh": "np.linalg.eigvalsh(a, UPLO): w, option 'L' | 'U'",
    "matrix_power": "np.linalg.matrix_power(a, n) (args: a, n)",
    "pinv": "np.linalg.pinv(a): through svd (option 'S')",
    "eig": "np.linalg.eig(a): (w, v) when every eigenvalue is real (else ValueError)",
    "eigvals": "np.linalg.eigvals(a): w when every eigenvalue is real (else ValueError)",
    "lstsq": "np.linalg.lstsq(a, b, rcond): (x, residuals, rank, s) (args: a, b[, rcond])",
    "kron": "np.kron(a, b) of two 2-D arrays",
}


@record
class LinAlg(Node):
    """``np.linalg.<func>(*args)`` (see :data:`LINALG_FUNCS`) of real 2-D arrays (stacks
    of them for frontend/lapack.py's STACKABLE functions: each result gains the batch
    axes in front, det an array of them): computed
    in float64 through LAPACK as NumPy's ``_umath_linalg`` does (a Fortran-ordered copy
    of each operand), results in NumPy's result dtype (float32 only when every operand
    is float32), C-ordered; several results are a tuple. ``option`` carries a keyword's
    constant (``"U"``, ``"S"`` ...)."""

    func: str
    args: tuple[AnyExpr, ...]
    type: Type
    span: Span
    option: str = ""


def result_dtype(a: DType, b: DType) -> DType:
    """NumPy's ``np.result_type`` of two dtypes: a complex one makes the result the
    complex dtype of the result of the two real parts' dtypes.

    >>> [result_dtype(DType(x), DType(y)).name for x, y in
    ...  [("float32", "int16"), ("int32", "uint32"), ("uint64", "int8"), ("int8", "uint8"),
    ...   ("complex64", "float64"), ("complex64", "int16"), ("float32", "complex64")]]
    ['float32', 'int64', 'float64', 'int16', 'complex128', 'complex64', 'complex64']
    """
    if a == b:
        return a
    if "c" in (a.kind, b.kind):
        real = result_dtype(_real_part(a), _real_part(b))
        return DType("complex64" if real.name == "float32" else "complex128")
    if a.kind == "f" and b.kind == "f":
        return DType("float64")
    if b.kind == "f":
        a, b = b, a
    if a.kind == "f":  # b is an integer
        return a if a.itemsize == 8 or b.itemsize <= 2 else DType("float64")
    if a.kind == b.kind:
        return a if a.itemsize >= b.itemsize else b
    signed, unsigned = (a, b) if a.kind == "i" else (b, a)
    if unsigned.itemsize < signed.itemsize:
        return signed
    if unsigned.itemsize == 8:
        return DType("float64")
    return DType(f"int{unsigned.itemsize * 16}")


def _real_part(d: DType) -> DType:
    if d.kind != "c":
        return d
    return DType("float32" if d.itemsize == 8 else "float64")


def result_ndim(func: str, left: int, right: int) -> int:
    """The result's dimensions: 0 is a scalar.

    >>> result_ndim("matmul", 2, 1), result_ndim("inner", 2, 2), result_ndim("outer", 1, 1)
    (1, 2, 2)
    """
    if func == "outer":
        return 2
    if func == "inner":
        return left - 1 + right - 1
    if func == "vdot":
        return 0
    if func == "matmul" and max(left, right) > 2:  # stacked: the batch axes broadcast
        return max(left - 2, right - 2) + (left >= 2) + (right >= 2)
    return (left == 2) + (right == 2)

"""One element of NumPy's math ufuncs, as LLVM IR, bit for bit NumPy 2.4's answer.

``lower(b, "sin", [x], (float32, float32))`` emits what NumPy's inner loop computes for
one element. NumPy does not call one libm for everything: which code runs depends on
the function, the dtype and the SIMD targets NumPy dispatched to on this CPU, so each
function below follows its NumPy loop (numpy/_core/src/umath/*.dispatch.*):

==========================================  =======================================
exp2 log2 log10 expm1 log1p cbrt tan        Intel SVML inside NumPy (``__svml_<f>8_ha``
arcsin arccos arctan sinh cosh arcsinh      float64, ``__svml_<f>f16`` float32) when
arccosh arctanh arctan2 (float32, float64)  NumPy runs its AVX512_SKX loops
exp log (float64)                           (loops_umath_fp, loops_exponent_log): the
                                            JIT calls the very same exported symbols
tanh (float32, float64)                     NumPy's Highway port of SVML's ``tanh_la``,
                                            ported to IR in :mod:`ufunc_math_tanh`
sin cos exp log (float32)                   NumPy's own polynomials, ported to IR in
                                            :mod:`ufunc_math_f32` (fallback to libm
                                            ``sinf``/``cosf`` for large arguments, as
                                            NumPy does)
sin cos (float64), hypot                    libm (NumPy's loops call it too)
sqrt floor ceil trunc rint copysign         LLVM intrinsics: correctly rounded, exact
isnan isinf isfinite signbit degrees ...    compares, bit tests, one multiply
==========================================  =======================================

Accuracy: on a host where NumPy dispatches to AVX512_SKX (``np.show_runtime()`` lists
X86_V4) every function above is bit-exact with NumPy 2.4 (NaN payloads aside);
tests/native/codegen/test_ufunc_math.py measures it. On other x86 hosts NumPy does not
call SVML: both sides call libm for the SVML functions; NumPy's own FMA kernels (float32
sin/cos/exp/log, tanh) run from X86_V3 (AVX2+FMA3) up, and without them NumPy and ember
call libm. The test file also runs itself with NumPy limited to X86_V3 and to X86_V2
(NPY_DISABLE_CPU_FEATURES), where it is bit-exact too. One corner stays: NumPy's SVML
loops fall back to libm for an operand whose stride exceeds 2**31/16 items (134 million:
its SIMD gathers cannot reach that far), and for an input with a negative stride; ember
gives the usual (SVML) answer there.

``lower`` also lowers ``sign`` (NumPy's table lists it with the arithmetic ufuncs).
float16 loops (NumPy picks them for bool/int8/uint8 inputs) are not supported: ember
has no float16 dtype; the caller refuses them before asking.

    >>> sorted(MATH_UFUNCS)[:4]
    ['arccos', 'arccosh', 'arcsin', 'arcsinh']
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence

from llvmlite import ir

from ember.native.boundary.capi import extern_function
from ember.native.codegen import ufunc_math_f32 as f32
from ember.native.codegen import ufunc_math_tanh as tanh_kernel
from ember.native.types import DType
from ember.native.ufuncs import MATH

I8 = ir.IntType(8)
I32 = ir.IntType(32)

# NumPy's C names (npy_<intrin>, __svml_<intrin>...) for the ufuncs named differently.
_INTRIN: dict[str, str] = {
    "arcsin": "asin", "arccos": "acos", "arctan": "atan", "arcsinh": "asinh",
    "arccosh": "acosh", "arctanh": "atanh", "arctan2": "atan2",
}  # fmt: skip
# loops_umath_fp's SVML list, plus exp/log (float64: loops_exponent_log) and tanh.
_SVML_1 = frozenset({
    "exp2", "log2", "log10", "expm1", "log1p", "cbrt", "tan", "arcsin", "arccos",
    "arctan", "sinh", "cosh", "arcsinh", "arccosh", "arctanh",
})  # fmt: skip
_SVML_F64_ONLY = frozenset({"exp", "log"})


@functools.cache
def numpy_uses_svml() -> bool:
    """Whether NumPy's loops on this host call SVML: its AVX512_SKX dispatch target is
    active and the build linked SVML (the symbols are exported from _multiarray_umath)."""
    import ctypes

    from numpy._core import _multiarray_umath as mu

    if not _numpy_target("X86_V4", ("AVX512_SKX",)):
        return False
    try:
        ctypes.CDLL(mu.__file__).__svml_tan8_ha  # noqa: B018 -- the lookup is the test
    except (OSError, AttributeError):
        return False
    return True


@functools.cache
def numpy_uses_fma3() -> bool:
    """Whether NumPy runs its own FMA3 float32 sin/cos/exp/log kernels (else libm)."""
    return _numpy_target("X86_V3", ("FMA3", "AVX2"))


def _numpy_target(group: str, features: tuple[str, ...]) -> bool:
    """Whether NumPy dispatches to ``group`` (NumPy 2.4's names; ``features`` where a
    NumPy names no groups). NPY_DISABLE_CPU_FEATURES=X86_V4 turns a group off while
    its member features stay listed, so the group is what counts."""
    from numpy._core import _multiarray_umath as mu

    found: dict[str, bool] = mu.__cpu_features__
    if group in found:
        return bool(found[group])
    return all(found.get(f, False) for f in features)


def _is_f32(t: ir.Type) -> bool:
    return isinstance(t, ir.FloatType)


def _declare(module: ir.Module, name: str, ret: ir.Type, params: Sequence[ir.Type]) -> ir.Function:
    fn = extern_function(module, name, ret, params)
    if not name.startswith("llvm.") and "nobuiltin" not in fn.attributes:
        # LLVM would otherwise rewrite libm calls (sin+cos → sincos, exp2(i) → ldexp),
        # which can change the last bit.
        fn.attributes.add("nobuiltin")
    return fn


def intrinsic(b: ir.IRBuilder, name: str, *args: ir.Value) -> ir.Value:
    """``llvm.<name>.f32/f64`` applied to ``args`` (all of one float type)."""
    t = args[0].type
    full = f"llvm.{name}.{'f32' if _is_f32(t) else 'f64'}"
    return b.call(_declare(b.module, full, t, [t] * len(args)), list(args))


def libm(b: ir.IRBuilder, name: str, *args: ir.Value) -> ir.Value:
    """The C library's ``name`` (``sinf`` for float32 arguments)."""
    t = args[0].type
    sym = name + ("f" if _is_f32(t) else "")
    return b.call(_declare(b.module, sym, t, [t] * len(args)), list(args))


def svml(b: ir.IRBuilder, sym: str, *args: ir.Value) -> ir.Value:
    """One lane of NumPy's SVML vector function ``sym`` (512-bit: 8 doubles or 16
    floats). SVML functions are element-wise, so lane 0 of a vector holding the
    argument is exactly what NumPy's loop stores for that element. Every lane holds
    the argument: a padding value can take SVML's slow special-case path (a zero lane
    makes log 20 times slower)."""
    return b.call(_svml_lane(b.module, sym, args[0].type, len(args)), list(args))


def _svml_lane(module: ir.Module, sym: str, t: ir.Type, arity: int) -> ir.Function:
    """``t @ember_lane_<sym>(t x...)``: lane 0 of ``sym`` on splats of the arguments,
    declared (vector-function-abi-variant) as the scalar form of ``sym`` itself, so
    LLVM's loop vectoriser calls ``sym`` on whole vectors of consecutive elements, as
    NumPy's loop does (the values are the same: SVML is element-wise)."""
    name = f"ember_lane_{sym}"
    existing = module.globals.get(name)
    if isinstance(existing, ir.Function):
        return existing
    n = 16 if _is_f32(t) else 8
    vt = ir.VectorType(t, n)
    vector = _declare(module, sym, vt, [vt] * arity)
    fn = ir.Function(module, ir.FunctionType(t, [t] * arity), name)
    fn.linkage = "private"
    for attr in ("noinline", "nounwind", "readnone"):
        fn.attributes.add(attr)
    params = "v" * arity
    # llvmlite knows no string attributes: added to the set as LLVM's text spells them.
    set.add(fn.attributes, f'"vector-function-abi-variant"="_ZGV_LLVM_N{n}{params}_{name}({sym})"')
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    zero = ir.Constant(I32, 0)
    splat = ir.Constant(ir.VectorType(I32, n), [0] * n)
    vecs = [b.shuffle_vector(b.insert_element(ir.Constant(vt, None), a, zero), ir.Constant(vt, None), splat)
            for a in fn.args]  # fmt: skip
    b.ret(b.extract_element(b.call(vector, vecs), zero))
    return fn


def _svml_symbol(name: str, t: ir.Type) -> str:
    intrin = _INTRIN.get(name, name)
    return f"__svml_{intrin}f16" if _is_f32(t) else f"__svml_{intrin}8_ha"


def _libm_or_svml(b: ir.IRBuilder, name: str, args: list[ir.Value]) -> ir.Value:
    t = args[0].type
    f64 = not _is_f32(t)
    if numpy_uses_svml() and (name in _SVML_1 or name == "arctan2" or (f64 and name in _SVML_F64_ONLY)):
        x = args[0]
        r = svml(b, _svml_symbol(name, t), *args)
        if name == "expm1" and f64:
            # loops_umath_fp: NumPy passes NaN lanes around SVML's expm1 (x itself).
            r = b.select(b.fcmp_unordered("uno", x, x), x, r)
        return r
    if name == "tanh" and numpy_uses_fma3():
        return tanh_kernel.tanh(b, args[0])
    if not f64 and name in ("sin", "cos", "exp", "log") and numpy_uses_fma3():
        return f32.KERNELS[name](b, args[0])
    return libm(b, _INTRIN.get(name, name), *args)


def _const(t: ir.Type, v: float) -> ir.Constant:
    return ir.Constant(t, v)


def _bool(b: ir.IRBuilder, pred: ir.Value) -> ir.Value:
    return b.zext(pred, I8)


def _sign_float(b: ir.IRBuilder, x: ir.Value) -> ir.Value:
    # loops.c.src: in > 0 ? 1 : (in < 0 ? -1 : (in == 0 ? 0 : in)) -- -0.0 gives +0.0.
    t = x.type
    r = b.select(b.fcmp_ordered("==", x, _const(t, 0.0)), _const(t, 0.0), x)
    r = b.select(b.fcmp_ordered("<", x, _const(t, 0.0)), _const(t, -1.0), r)
    return b.select(b.fcmp_ordered(">", x, _const(t, 0.0)), _const(t, 1.0), r)


def _sign_int(b: ir.IRBuilder, x: ir.Value, signed: bool) -> ir.Value:
    t = x.type
    zero = ir.Constant(t, 0)
    pos = b.zext(b.icmp_signed(">", x, zero) if signed else b.icmp_unsigned("!=", x, zero), t)
    if not signed:
        return pos
    return b.sub(pos, b.zext(b.icmp_signed("<", x, zero), t))


def _classify(b: ir.IRBuilder, name: str, x: ir.Value) -> ir.Value:
    t = x.type
    inf = _const(t, math.inf)
    if name == "isnan":
        return b.fcmp_unordered("uno", x, x)
    ax = intrinsic(b, "fabs", x)
    if name == "isinf":
        return b.fcmp_ordered("==", ax, inf)
    if name == "isfinite":
        return b.fcmp_ordered("<", ax, inf)
    # signbit: the sign bit itself (true for -0.0 and negative NaNs).
    it = ir.IntType(32 if _is_f32(t) else 64)
    return b.icmp_signed("<", b.bitcast(x, it), ir.Constant(it, 0))


def _angle(b: ir.IRBuilder, name: str, x: ir.Value) -> ir.Value:
    # npy_math_internal.h: x*RAD2DEG with RAD2DEG = 180.0/NPY_PI computed in the
    # argument's precision (llvmlite rounds a float constant to float32 itself).
    to_deg = name in ("rad2deg", "degrees")
    if _is_f32(x.type):
        pi, one_eighty = _round_f32(math.pi), 180.0
        k = _round_f32(one_eighty / pi) if to_deg else _round_f32(pi / one_eighty)
    else:
        k = 180.0 / math.pi if to_deg else math.pi / 180.0
    return b.fmul(x, _const(x.type, k))


def _round_f32(v: float) -> float:
    import struct

    return float(struct.unpack("f", struct.pack("f", v))[0])


_EXACT_1: dict[str, str] = {"sqrt": "sqrt", "floor": "floor", "ceil": "ceil", "trunc": "trunc",
                            "rint": "roundeven"}  # fmt: skip
_CLASSIFY = frozenset({"isnan", "isinf", "isfinite", "signbit"})
_ANGLES = frozenset({"deg2rad", "rad2deg", "degrees", "radians"})


def _lower_int(b: ir.IRBuilder, name: str, x: ir.Value, dt: DType) -> ir.Value | None:
    """The integer/bool loops NumPy has: floor/ceil/trunc are the identity, isnan and
    isinf are False, isfinite True, sign is -1/0/1. None for the float-only rest."""
    if name in ("floor", "ceil", "trunc"):
        return x
    if name in ("isnan", "isinf", "isfinite"):
        return ir.Constant(I8, int(name == "isfinite"))
    if name == "sign" and dt.kind != "b":
        return _sign_int(b, x, dt.kind == "i")
    return None


def lower(b: ir.IRBuilder, name: str, args: list[ir.Value], loop: tuple[DType, ...]) -> ir.Value:
    """Emit one element of ufunc ``name`` at ``b``.

    ``args`` are the storage values of the loop's input dtypes (``loop[:-1]``, already
    cast by the caller), ``loop[-1]`` is NumPy's output dtype for the loop
    (``np.<name>.resolve_dtypes``); the result is the output's storage value (bool: i8).
    Raises ``ValueError`` for a loop NumPy has but this module does not (float16).
    Some kernels branch (float32 sin/cos call libm for huge arguments), so ``b`` may be
    positioned in a new block afterwards: a caller's loop phi takes ``b.block``.
    """
    dt = loop[0]
    if dt.kind != "f":
        r = _lower_int(b, name, args[0], dt)
        if r is None:
            raise ValueError(f"no {dt} loop for np.{name} (loop {loop})")
        return r
    rule = _RULES.get(name)
    if rule is None:
        raise ValueError(f"np.{name} is not a math ufunc ember lowers")
    return rule(b, name, args)


def _r_exact(b: ir.IRBuilder, name: str, args: list[ir.Value]) -> ir.Value:
    return intrinsic(b, _EXACT_1[name], args[0])


def _r_classify(b: ir.IRBuilder, name: str, args: list[ir.Value]) -> ir.Value:
    return _bool(b, _classify(b, name, args[0]))


_Rule = Callable[[ir.IRBuilder, str, list[ir.Value]], ir.Value]
_RULES: dict[str, _Rule] = {
    **{n: _r_exact for n in _EXACT_1},
    **{n: _r_classify for n in _CLASSIFY},
    **{n: (lambda b, name, a: _angle(b, name, a[0])) for n in _ANGLES},
    "copysign": lambda b, name, a: intrinsic(b, "copysign", a[0], a[1]),
    "sign": lambda b, name, a: _sign_float(b, a[0]),
    **{n: _libm_or_svml for n in (
        "cbrt", "exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sin", "cos",
        "tan", "arcsin", "arccos", "arctan", "arctan2", "sinh", "cosh", "tanh", "arcsinh",
        "arccosh", "arctanh", "hypot",
    )},
}  # fmt: skip

#: The names of ufuncs.MATH that :func:`lower` implements (all of them).
MATH_UFUNCS: frozenset[str] = frozenset(n for n in MATH if n in _RULES)

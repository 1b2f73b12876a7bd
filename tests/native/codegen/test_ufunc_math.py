"""codegen/ufunc_math.py against NumPy itself: every math ufunc, every float dtype (and
the int/bool loops NumPy has), bit for bit (NaN payloads aside) on edge values, random
values, random bit patterns, sweeps of float32 and hypothesis-drawn arrays.

Each (ufunc, loop) becomes one tiny LLVM function ``void k(ptr x, ptr y, ptr out, i64
n)`` that applies :func:`ufunc_math.lower` to every element; all of them live in one
module, JIT-compiled once per session through ember's own engine.
"""

from __future__ import annotations

import ctypes
import math
import os
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from llvmlite import ir

from ember.native.backend import engine
from ember.native.boundary.llvm import storage_type
from ember.native.codegen import ufunc_math
from ember.native.types import DTYPE_NAMES, DType
from ember.native.ufuncs import ARITY, MATH

I64 = ir.IntType(64)
PTR = ir.PointerType()
FLOATS = ("float32", "float64")
INTS = tuple(d for d in DTYPE_NAMES if d != "bool" and d[0] in "iu")
INT_LOOP_UFUNCS = ("floor", "ceil", "trunc", "isnan", "isinf", "isfinite", "sign")


def _loop(name: str, dtype: str) -> tuple[DType, ...]:
    ins = (np.dtype(dtype),) * ARITY.get(name, 1)
    return tuple(DType(str(d)) for d in getattr(np, name).resolve_dtypes((*ins, None)))


def _cases() -> list[tuple[str, str]]:
    out = [(n, d) for n in sorted(ufunc_math.MATH_UFUNCS | {"sign"}) for d in FLOATS]
    out += [(n, d) for n in INT_LOOP_UFUNCS for d in INTS]
    out += [(n, "bool") for n in INT_LOOP_UFUNCS if n != "sign"]
    return out


def _kernel(module: ir.Module, name: str, dtype: str) -> str:
    loop = _loop(name, dtype)
    ins, out = loop[:-1], loop[-1]
    sym = f"k_{name}_{dtype}"
    fn = ir.Function(module, ir.FunctionType(ir.VoidType(), [PTR, PTR, PTR, I64]), sym)
    entry, body, done = (fn.append_basic_block(s) for s in ("entry", "body", "done"))
    b = ir.IRBuilder(entry)
    b.cbranch(b.icmp_signed(">", fn.args[3], ir.Constant(I64, 0)), body, done)
    b.position_at_end(body)
    i = b.phi(I64)
    i.add_incoming(ir.Constant(I64, 0), entry)
    args = [b.load(b.gep(fn.args[k], [i], source_etype=storage_type(t)), typ=storage_type(t))
            for k, t in enumerate(ins)]  # fmt: skip
    r = ufunc_math.lower(b, name, args, loop)
    assert r.type == storage_type(out), (name, dtype, r.type)
    b.store(r, b.gep(fn.args[2], [i], source_etype=storage_type(out)))
    nxt = b.add(i, ir.Constant(I64, 1))
    i.add_incoming(nxt, b.block)  # lower may have added blocks (sin's libm branch)
    b.cbranch(b.icmp_signed("<", nxt, fn.args[3]), body, done)
    ir.IRBuilder(done).ret_void()
    return sym


class Kernels:
    """All kernels, compiled once; ``run(name, *arrays)`` applies one."""

    def __init__(self) -> None:
        module = ir.Module(name="ufunc_math_test")
        self.symbols = {(n, d): _kernel(module, n, d) for n, d in _cases()}
        mod = engine.optimize(str(module), "ufunc_math_test")
        self.lib = engine.jit_object(engine.emit_object(mod), list(self.symbols.values()), "ufunc_math_test")
        proto = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64)
        self.fns = {k: proto(self.lib.address(s)) for k, s in self.symbols.items()}

    def run(self, name: str, *xs: np.ndarray) -> np.ndarray:
        loop = _loop(name, str(xs[0].dtype))
        xs = tuple(np.ascontiguousarray(x, dtype=str(t)) for x, t in zip(xs, loop, strict=False))
        out = np.empty(xs[0].shape, dtype=str(loop[-1]))
        y = xs[1] if len(xs) > 1 else xs[0]
        self.fns[(name, str(xs[0].dtype))](xs[0].ctypes.data, y.ctypes.data, out.ctypes.data, out.size)
        return out


@pytest.fixture(scope="module")
def kernels() -> Kernels:
    return Kernels()


def assert_same(name: str, got: np.ndarray, want: np.ndarray, *xs: np.ndarray) -> None:
    """Bit for bit, except that any NaN matches any NaN."""
    assert got.dtype == want.dtype, (name, got.dtype, want.dtype)
    if got.dtype.kind == "f":
        ut = np.uint32 if got.dtype.itemsize == 4 else np.uint64
        same = (got.view(ut) == want.view(ut)) | (np.isnan(got) & np.isnan(want))
    else:
        same = got == want
    if not same.all():
        bad = np.flatnonzero(~same)[:8]
        rows = [(*(x[k] for x in xs), got[k], want[k]) for k in bad]
        pytest.fail(f"np.{name}: {int((~same).sum())} of {same.size} differ, e.g. (x.., ember, numpy) {rows}")


def numpy_ref(name: str, *xs: np.ndarray) -> np.ndarray:
    with np.errstate(all="ignore"):
        return getattr(np, name)(*xs)


def edge_values(dtype: str) -> np.ndarray:
    """Signed zeros, infinities, NaN, subnormals, extremes, and the points where the
    functions change regime (overflow thresholds, branch points, range reductions)."""
    fi = np.finfo(dtype)
    special = [0.0, -0.0, math.inf, -math.inf, math.nan, -math.nan, float(fi.tiny), -float(fi.tiny),
               float(fi.smallest_subnormal), -float(fi.smallest_subnormal), float(fi.max), -float(fi.max),
               float(fi.eps), 1e-300, 1e-30, 1e-10, 1e-8, 1e-5, 0.5, 1.0, 2.0, 3.0, 10.0, 100.0,
               709.782712893384, 709.79, 710.0, 745.13, 88.72283935546875, 88.7229, 89.0,
               103.97208404541015625, 104.0, 117435.992, 117436.0, 71476.0625, 71476.07, 1e6, 1e22,
               1e300, math.pi, math.pi / 2, math.pi / 4, 2 * math.pi, 1e4 * math.pi,
               0.7071067811865476, 0.6931471805599453, 1.5, 2.5, 4.5, 0.49999997, 2**52 + 0.5, 2**23 + 0.5]  # fmt: skip
    base = np.array(special, dtype=dtype)
    near = np.concatenate([np.nextafter(base, np.array(math.inf, dtype)), np.nextafter(base, np.array(-math.inf, dtype))])
    x = np.concatenate([base, near])
    return np.concatenate([x, -x])


def random_values(dtype: str, n: int = 20000, seed: int = 12) -> np.ndarray:
    rng = np.random.default_rng(seed)
    ut = np.uint32 if dtype == "float32" else np.uint64
    bits = rng.integers(0, np.iinfo(ut).max, n, dtype=ut, endpoint=True).view(dtype)
    parts = [rng.standard_normal(n), rng.standard_normal(n) * 30, rng.uniform(-1.01, 1.01, n),
             rng.uniform(0.9, 1.1, n), rng.standard_normal(n) * 1e-7, rng.uniform(-200, 200, n),
             rng.uniform(-1.2e5, 1.2e5, n)]  # fmt: skip
    return np.concatenate([bits, *(p.astype(dtype) for p in parts)])


UNARY_FLOAT = sorted(n for n in ufunc_math.MATH_UFUNCS | {"sign"} if ARITY.get(n, 1) == 1)
BINARY_FLOAT = sorted(n for n in ufunc_math.MATH_UFUNCS if ARITY[n] == 2)


def test_every_math_ufunc_is_lowered() -> None:
    assert set(MATH) == ufunc_math.MATH_UFUNCS


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name", UNARY_FLOAT)
def test_unary_matches_numpy(kernels: Kernels, name: str, dtype: str) -> None:
    x = np.concatenate([edge_values(dtype), random_values(dtype)])
    assert_same(name, kernels.run(name, x), numpy_ref(name, x), x)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name", BINARY_FLOAT)
def test_binary_matches_numpy(kernels: Kernels, name: str, dtype: str) -> None:
    e = edge_values(dtype)
    ex, ey = (a.ravel() for a in np.meshgrid(e, e))  # every pair of edge values
    r = random_values(dtype, 5000)
    rng = np.random.default_rng(5)
    x = np.concatenate([ex, r, rng.permutation(r)])
    y = np.concatenate([ey, rng.permutation(r), r])
    assert_same(name, kernels.run(name, x, y), numpy_ref(name, x, y), x, y)


@pytest.mark.parametrize("name", ["sin", "cos", "exp", "log", "tanh", "tan", "arctan", "cbrt"])
def test_float32_sweep(kernels: Kernels, name: str) -> None:
    # Every 997th float32 bit pattern (4.3 million): NumPy's own float32 kernels
    # were ported by hand, so sample the whole range, not only typical values.
    x = np.arange(0, 2**32, 997, dtype=np.uint64).astype(np.uint32).view(np.float32)
    assert_same(name, kernels.run(name, x), numpy_ref(name, x), x)


@pytest.mark.parametrize(
    ("name", "dtype"), [(n, d) for n in INT_LOOP_UFUNCS for d in (*INTS, "bool") if (n, d) != ("sign", "bool")]
)  # NumPy has no bool loop for sign
def test_int_loops(kernels: Kernels, name: str, dtype: str) -> None:
    if dtype == "bool":
        x = np.array([False, True, True, False])
    else:
        info = np.iinfo(dtype)
        rng = np.random.default_rng(3)
        x = np.concatenate([np.array([0, 1, info.max, info.min, info.max - 1, info.min + 1], dtype),
                            rng.integers(info.min, info.max, 2000, dtype=dtype, endpoint=True)])
    assert _loop(name, dtype)[0] == DType(dtype)  # NumPy loops on the int itself
    assert_same(name, kernels.run(name, x), numpy_ref(name, x), x)


def test_signed_zeros_of_arctan2_and_copysign(kernels: Kernels) -> None:
    z = np.array([0.0, -0.0, 0.0, -0.0, 1.0, -1.0, math.inf, -math.inf])
    w = np.array([0.0, 0.0, -0.0, -0.0, -0.0, -0.0, -math.inf, math.inf])
    for name in ("arctan2", "copysign", "hypot"):
        for dt in FLOATS:
            a, c = z.astype(dt), w.astype(dt)
            assert_same(name, kernels.run(name, a, c), numpy_ref(name, a, c), a, c)


def test_unsupported_loop_is_a_clear_error() -> None:
    b = ir.IRBuilder(ir.Function(ir.Module(), ir.FunctionType(ir.VoidType(), []), "f").append_basic_block())
    with pytest.raises(ValueError, match="int32 loop for np.sin"):
        ufunc_math.lower(b, "sin", [ir.Constant(ir.IntType(32), 1)], (DType("int32"), DType("float64")))


def _floats(dtype: str) -> Any:
    return st.lists(st.floats(width=32 if dtype == "float32" else 64), min_size=0, max_size=64)


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_hypothesis_arrays(kernels: Kernels, data: st.DataObject) -> None:
    dtype = data.draw(st.sampled_from(FLOATS))
    name = data.draw(st.sampled_from(UNARY_FLOAT + BINARY_FLOAT))
    xs = [np.array(data.draw(_floats(dtype)), dtype=dtype)]
    if ARITY.get(name, 1) == 2:
        xs.append(np.array(data.draw(st.lists(st.floats(width=32 if dtype == "float32" else 64),
                                              min_size=len(xs[0]), max_size=len(xs[0]))), dtype=dtype))
    assert_same(name, kernels.run(name, *xs), numpy_ref(name, *xs), *xs)


_CHILD = """
import ctypes, sys
import numpy as np
lib = ctypes.CDLL(sys.argv[1])  # RTLD_LOCAL, as the cache's warm path and an import load it
proto = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64)
for dtype in ("float32", "float64"):
    x = np.linspace(-5, 5, 1001, dtype=dtype)
    out = np.empty_like(x)
    proto(ctypes.cast(getattr(lib, "k_arctan_" + dtype), ctypes.c_void_p).value)(
        x.ctypes.data, x.ctypes.data, out.ctypes.data, x.size)
    assert (out.view(np.uint8) == np.arctan(x).view(np.uint8)).all(), dtype
print("ok")
"""


@pytest.mark.skipif(engine.find_cc() is None, reason="no C compiler to link a shared object")
def test_shared_object_finds_numpys_svml(tmp_path: Any) -> None:
    # The native cache links its entries into shared objects loaded with a plain
    # dlopen: NumPy's SVML symbols must resolve there too (engine.link_shared names
    # NumPy's module as a dependency). A child process, so that nothing here has made
    # NumPy's symbols global already.
    import subprocess
    import sys

    module = ir.Module(name="svml_so")
    for dtype in FLOATS:
        _kernel(module, "arctan", dtype)
    obj = engine.emit_object(engine.optimize(str(module), "svml_so"))
    so = engine.link_shared([obj], tmp_path / "k.so")
    proc = subprocess.run([sys.executable, "-c", _CHILD, str(so)], capture_output=True, text=True, check=False)
    assert proc.stdout.strip() == "ok", proc.stderr


@pytest.mark.skipif(bool(os.environ.get("EMBER_UMATH_CHILD")), reason="already the child")
@pytest.mark.parametrize("disabled", ["X86_V4 AVX512_ICL AVX512_SPR", "X86_V3 X86_V4 AVX512_ICL AVX512_SPR"])
def test_other_numpy_dispatch_levels(disabled: str) -> None:
    # NumPy picks other loops on an AVX2-only (X86_V3) or SSE4-only (X86_V2) CPU: no
    # SVML, or not even its FMA kernels. NPY_DISABLE_CPU_FEATURES makes NumPy behave so
    # here; ufunc_math must follow (it reads the same dispatch state), bit for bit.
    import subprocess
    import sys

    env = {**os.environ, "NPY_DISABLE_CPU_FEATURES": disabled, "EMBER_UMATH_CHILD": "1"}
    cmd = [sys.executable, "-m", "pytest", __file__, "-q", "-x", "-p", "no:cacheprovider",
           "-p", "no:warnings", "-k", "unary or binary or sweep or int_loops"]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert " passed" in proc.stdout and "skipped" not in proc.stdout, proc.stdout[-500:]

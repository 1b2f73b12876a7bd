"""NumPy's element casts (``astype``, joins of mixed dtypes) in LLVM IR: storage value of
one dtype → storage value of another, as NumPy's C loops compute them on x86-64.

- int → int: two's complement truncation or sign/zero extension (C's conversion);
- int → float: one rounding (``sitofp``/``uitofp``); float64 → float32 rounds once;
- anything → bool: ``!= 0`` (NaN is true); bool → a number: 0 or 1;
- float → int: truncation toward zero, and where C's cast is undefined (NaN, inf, out of
  range) the value x86-64's ``cvttsd2si`` gives, never LLVM poison (``fptosi`` of an
  out-of-range value is poison): int64 targets get ``cvttsd2si`` 64-bit (0x8000...),
  int32 and the narrower ints the 32-bit form (then truncated to 16/8 bits), uint32 the
  64-bit form truncated, uint64 ``x >= 2**63 ? cvt(x - 2**63) ^ 2**63 : cvt(x)``
  (what GCC emits for ``(npy_uint64)x``).

NumPy's contiguous SIMD loop for float → uint32 gives other values for out-of-range
inputs (it depends on the array's length); these are its scalar (strided) loop's.
"""

from __future__ import annotations

import llvmlite.ir as ir

from ember.native.boundary.llvm import F32, F64, I8, I32, I64, storage_type
from ember.native.codegen import ufunc_complex
from ember.native.types import DType


def cvtt(b: ir.IRBuilder, x: ir.Value, bits: int) -> ir.Value:
    """``cvttsd2si`` of the double ``x`` into an ``i<bits>`` (32 or 64): truncation
    toward zero, and ``INT_MIN`` (the "integer indefinite") where the truncated value
    does not fit or ``x`` is NaN. The guard keeps ``fptosi`` away from poison."""
    ty = ir.IntType(bits)
    lo, hi = -(2.0 ** (bits - 1)), 2.0 ** (bits - 1)
    # Valid iff trunc(x) is in [lo, hi): x > lo - 1 and x < hi (false for NaN).
    ok = b.and_(b.fcmp_ordered(">", x, ir.Constant(F64, lo - 1.0)),
                b.fcmp_ordered("<", x, ir.Constant(F64, hi)))
    safe = b.select(ok, x, ir.Constant(F64, 0.0))
    return b.select(ok, b.fptosi(safe, ty), ir.Constant(ty, -(1 << (bits - 1))))


def _float_to_int(b: ir.IRBuilder, x: ir.Value, dst: DType) -> ir.Value:
    """A double → the storage value of the integer ``dst`` (see the module docstring)."""
    bits = dst.itemsize * 8
    if dst.kind == "i" and bits == 64:
        return cvtt(b, x, 64)
    if dst.kind == "u" and bits == 64:
        top = ir.Constant(F64, 2.0**63)
        big = b.fcmp_ordered(">=", x, top)
        low = cvtt(b, x, 64)
        high = b.xor(cvtt(b, b.fsub(x, top), 64), ir.Constant(I64, 1 << 63))
        return b.select(big, high, low)
    if dst.kind == "u" and bits == 32:
        return b.trunc(cvtt(b, x, 64), I32)
    v = cvtt(b, x, 32)
    return v if bits == 32 else b.trunc(v, ir.IntType(bits))


def cast_element(b: ir.IRBuilder, x: ir.Value, src: DType, dst: DType) -> ir.Value:
    """The storage value ``x`` of ``src`` → the storage value of ``dst``, NumPy's cast."""
    if src == dst:
        return x
    if "c" in (src.kind, dst.kind):
        return ufunc_complex.cast(b, x, src, dst, cast_element)  # codegen/ufunc_complex.py
    out = storage_type(dst)
    if dst.kind == "b":
        zero = ir.Constant(x.type, 0.0 if src.kind == "f" else 0)
        truth = b.fcmp_unordered("!=", x, zero) if src.kind == "f" else b.icmp_unsigned(
            "!=", x, zero)
        return b.zext(truth, I8)
    if src.kind == "f":
        wide = x if src.itemsize == 8 else b.fpext(x, F64)
        if dst.kind == "f":
            return wide if dst.itemsize == 8 else b.fptrunc(wide, F32)
        return _float_to_int(b, wide, dst)
    # src is an integer or bool (bool is 0 or 1: zero-extended like unsigned)
    signed = src.kind == "i"
    if dst.kind == "f":
        return b.sitofp(x, out) if signed else b.uitofp(x, out)
    sbits, dbits = src.itemsize * 8, dst.itemsize * 8
    if dbits == sbits:
        return x
    if dbits < sbits:
        return b.trunc(x, out)
    return b.sext(x, out) if signed else b.zext(x, out)

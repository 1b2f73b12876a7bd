"""What CPU an ahead-of-time extension is built for, and the import-time choice among
the versions of its code: a ``--cpu`` option → the levels to compile → an LLVM function
that reads CPUID and returns the highest level this processor (and its OS) runs.

A portable build (the default) on x86-64 compiles every unit for ``x86-64-v2`` (SSE4.2,
POPCNT: any x86-64 CPU since about 2009) and again for ``x86-64-v3`` (AVX2, FMA, BMI)
and ``x86-64-v4`` (AVX-512), keeping a newer level only where its code differs; the
extension's exec slot calls :func:`cpu_level_function`'s function once and initialises
the best version of each unit. The check is machine code in the extension (CPUID and
XGETBV, as GCC's ``__builtin_cpu_supports`` reads them), so the import needs no LLVM.

>>> plan_for("portable", "x86_64-unknown-linux-gnu").levels
(('x86-64-v2', 2), ('x86-64-v3', 3), ('x86-64-v4', 4))
>>> plan_for("host", "x86_64-unknown-linux-gnu").levels
(('host', 0),)
"""

from __future__ import annotations

from dataclasses import dataclass

from llvmlite import ir

from ember.native.boundary.llvm import I32

# The environment variable that caps the level chosen at import (tests, or to compare
# the baseline with the newer code on one machine): x86-64-v2 or x86-64-v3.
CAP_VARIABLE = "EMBER_AOT_CPU"


@dataclass(frozen=True, slots=True)
class Plan:
    """The builds to make: (LLVM CPU name, level) each; level 0 means "no choice at
    import" (one version, for ``host`` or a named CPU)."""

    option: str
    levels: tuple[tuple[str, int], ...]

    @property
    def multiversioned(self) -> bool:
        return len(self.levels) > 1


def plan_for(option: str, triple: str) -> Plan:
    """``--cpu`` (``portable``, ``host`` or an LLVM CPU name) on the target ``triple``."""
    if option == "portable":
        if triple.startswith(("x86_64", "amd64")):
            return Plan(option, (("x86-64-v2", 2), ("x86-64-v3", 3), ("x86-64-v4", 4)))
        if triple.startswith(("aarch64", "arm64")):
            # armv8-a (with NEON) is the whole architecture's baseline; no choice at
            # import: the kernels' loops vectorise with NEON already.
            return Plan(option, (("generic", 0),))
        return Plan(option, (("generic", 0),))
    return Plan(option, ((option, 0),))


def level_name(level: int) -> str:
    """``x86-64-v3`` for 3."""
    return f"x86-64-v{level}"


# CPUID bits (Intel SDM vol. 2A, "CPUID"; the x86-64 psABI's micro-architecture levels).
_V2_LEAF1_ECX = (1 << 0) | (1 << 9) | (1 << 13) | (1 << 19) | (1 << 20) | (1 << 23)
_V2_EXT_ECX = 1 << 0  # LAHF/SAHF in 64-bit mode
_OSXSAVE = 1 << 27
_V3_LEAF1_ECX = (1 << 12) | (1 << 22) | (1 << 27) | (1 << 28) | (1 << 29)  # FMA MOVBE .. F16C
_V3_LEAF7_EBX = (1 << 3) | (1 << 5) | (1 << 8)  # BMI1 AVX2 BMI2
_V3_EXT_ECX = 1 << 5  # LZCNT
_V3_XCR0 = 0x6  # the OS saves SSE and AVX state
_V4_LEAF7_EBX = (1 << 16) | (1 << 17) | (1 << 28) | (1 << 30) | (1 << 31)  # F DQ CD BW VL
_V4_XCR0 = 0xE6  # ... and the opmask and ZMM state


def _cpuid(b: ir.IRBuilder, leaf: int, sub: int = 0) -> list[ir.Value]:
    ty = ir.FunctionType(ir.LiteralStructType([I32] * 4), [I32, I32])
    asm = ir.InlineAsm(ty, "cpuid", "={ax},={bx},={cx},={dx},{ax},{cx}", side_effect=True)
    regs = b.call(asm, [ir.Constant(I32, leaf), ir.Constant(I32, sub)])
    return [b.extract_value(regs, i) for i in range(4)]


def _has(b: ir.IRBuilder, value: ir.Value, mask: int) -> ir.Value:
    m = ir.Constant(I32, mask & 0xFFFFFFFF)
    return b.icmp_unsigned("==", b.and_(value, m), m)


def cpu_level_function(module: ir.Module) -> ir.Function:
    """``i32 ember.aot.cpu_level()``: 4, 3 or 2 for the x86-64 level this CPU and OS
    support, 0 below x86-64-v2 (the extension then refuses to load, rather than die
    on an illegal instruction)."""
    fn = ir.Function(module, ir.FunctionType(I32, []), "ember.aot.cpu_level")
    fn.linkage = "internal"
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    below, avx, done = (fn.append_basic_block(n) for n in ("below", "avx", "v2"))
    max_leaf = _cpuid(b, 0)[0]
    ecx1 = _cpuid(b, 1)[2]
    ext_ecx = _cpuid(b, 0x80000001)[2]  # every x86-64 CPU has the extended leaves
    v2 = b.and_(_has(b, ecx1, _V2_LEAF1_ECX), _has(b, ext_ecx, _V2_EXT_ECX))
    ok = fn.append_basic_block("v2.ok")
    b.cbranch(v2, ok, below)
    b.position_at_end(below)
    b.ret(ir.Constant(I32, 0))
    b.position_at_end(ok)
    # XGETBV exists only when the OS enabled it (OSXSAVE); leaf 7 only when listed.
    can_ask = b.and_(_has(b, ecx1, _OSXSAVE),
                     b.icmp_unsigned(">=", max_leaf, ir.Constant(I32, 7)))
    b.cbranch(can_ask, avx, done)
    b.position_at_end(done)
    b.ret(ir.Constant(I32, 2))
    b.position_at_end(avx)
    xgetbv = ir.InlineAsm(ir.FunctionType(ir.LiteralStructType([I32, I32]), [I32]),
                          "xgetbv", "={ax},={dx},{cx}", side_effect=True)
    xcr0 = b.extract_value(b.call(xgetbv, [ir.Constant(I32, 0)]), 0)
    ebx7 = _cpuid(b, 7, 0)[1]
    v3 = b.and_(b.and_(_has(b, ecx1, _V3_LEAF1_ECX), _has(b, ebx7, _V3_LEAF7_EBX)),
                b.and_(_has(b, ext_ecx, _V3_EXT_ECX), _has(b, xcr0, _V3_XCR0)))
    v4 = b.and_(v3, b.and_(_has(b, ebx7, _V4_LEAF7_EBX), _has(b, xcr0, _V4_XCR0)))
    level = b.select(v4, ir.Constant(I32, 4),
                     b.select(v3, ir.Constant(I32, 3), ir.Constant(I32, 2)))
    b.ret(level)
    return fn

"""The machine-code engine: LLVM IR text → optimised module → object code, loaded in
process (JIT) or linked into a shared object. The only user of ``llvmlite.binding``::

    mod = optimize(ir_text, name="unit")          # parse, verify, O3 for the host CPU
    obj = emit_object(mod)                        # ELF/Mach-O bytes (PIC)
    lib = jit_object(obj, ["PyInit_f"], "unit")   # loaded; lib.address("PyInit_f")
    link_shared([obj], Path("f.cpython-311-x86_64-linux-gnu.so"))   # with the system cc

One target machine and one JIT per process: creating them is most of a small compile's
fixed cost. The JIT loads exactly the object code that :func:`emit_object` returns, so
the in-process code, the on-disk cache and an AOT extension are the same bytes.
"""

from __future__ import annotations

import functools
import itertools
import os
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class EngineError(RuntimeError):
    """LLVM rejected a module, or no system linker is available."""


@dataclass(frozen=True, slots=True)
class Host:
    """What compiled code is tuned for; part of every native cache key.

    >>> host().triple  # the host's: this machine's may differ  # doctest: +SKIP
    'x86_64-unknown-linux-gnu'
    """

    triple: str
    cpu: str
    features: str

    def key(self) -> str:
        return f"{self.triple}/{self.cpu}/{self.features}"


def _llvm() -> Any:
    import llvmlite.binding as llvm

    return llvm


@functools.cache
def _initialized() -> Any:
    llvm = _llvm()
    # llvm.initialize() is gone (automatic) in llvmlite >= 0.45; the native target
    # and asm printer still need explicit set-up for codegen.
    llvm.initialize_native_target()
    llvm.initialize_native_asmprinter()
    # The asm parser: an AOT extension's CPU check is inline assembly (CPUID).
    llvm.initialize_native_asmparser()
    return llvm


def llvm_version() -> str:
    """LLVM's version as ``"22.1.0"`` (recorded in native cache entries)."""
    return ".".join(map(str, _llvm().llvm_version_info))


@functools.cache
def host() -> Host:
    llvm = _initialized()
    return Host(
        llvm.get_process_triple(),
        llvm.get_host_cpu_name(),
        llvm.get_host_cpu_features().flatten(),
    )


@functools.cache
def target_machine(cpu: str | None = None, features: str = "") -> Any:
    """A target machine: O3, PIC (so the same object code works in the JIT and in a
    shared object); this machine's CPU name and features unless ``cpu`` names another
    (an ahead-of-time build's baseline, ``"x86-64-v2"``). One per CPU per process."""
    llvm = _initialized()
    h = host()
    target = llvm.Target.from_triple(h.triple)
    if cpu is None:
        cpu, features = h.cpu, h.features
    return target.create_target_machine(
        cpu=cpu, features=features, opt=3, reloc="pic", codemodel="default"
    )


@functools.cache
def _pipeline_options() -> Any:
    llvm = _initialized()
    pto = llvm.create_pipeline_tuning_options(speed_level=3)
    pto.loop_vectorization = True
    pto.slp_vectorization = True
    pto.loop_unrolling = True
    return pto


def parse(llvm_ir: str, name: str) -> Any:
    """Parse and verify LLVM IR text; the module gets the host triple and layout."""
    llvm = _initialized()
    try:
        mod = llvm.parse_assembly(llvm_ir)
        mod.verify()
    except RuntimeError as exc:
        raise EngineError(f"LLVM rejected the module {name}: {exc}") from exc
    mod.name = name  # parse_assembly names every module "<string>"
    tm = target_machine()
    mod.triple = tm.triple
    mod.data_layout = str(tm.target_data)
    return mod


def optimize(llvm_ir: str, name: str, cpu: str | None = None, features: str = "") -> Any:
    """Parse, verify and run LLVM's O3 pipeline for the host CPU (or ``cpu``: the
    vectorisers' cost model is the target's); returns the module."""
    llvm = _initialized()
    mod = parse(llvm_ir, name)
    # A fresh PassBuilder per module: they hold per-run analysis state.
    pb = llvm.create_pass_builder(target_machine(cpu, features), _pipeline_options())
    pb.getModulePassManager().run(mod, pb)
    return mod


def emit_object(module: Any, cpu: str | None = None, features: str = "") -> bytes:
    """Native object-file bytes (position independent) of an optimised module, for the
    host CPU or ``cpu`` (as it was optimised for)."""
    return bytes(target_machine(cpu, features).emit_object(module))


def emit_assembly(module: Any) -> str:
    """The host assembly of a module, as `ember explain` shows it."""
    return str(target_machine().emit_assembly(module))


@functools.cache
def _jit() -> Any:
    llvm = _initialized()
    return llvm.create_lljit_compiler(target_machine())


_library_ids = itertools.count()


@dataclass(frozen=True, slots=True)
class JitLibrary:
    """Object code loaded into this process. Keep it alive as long as any address
    from it may run: dropping it unloads the code."""

    name: str
    tracker: Any
    addresses: dict[str, int]

    def address(self, symbol: str) -> int:
        return self.addresses[symbol]


def jit_object(obj: bytes, exports: Sequence[str], name: str) -> JitLibrary:
    """Load object code into the process JIT and return the addresses of ``exports``.

    Each load is its own JIT library (a separate symbol namespace), so redefining a
    function with the same symbol never resolves to the old code. Undefined symbols
    (the CPython C API, libm) resolve against the running process.
    """
    llvm = _initialized()
    if b"__svml_" in obj:
        _export_numpy_symbols()
    if calls_blas(obj):
        _export_blas_symbols()
    builder = llvm.JITLibraryBuilder().add_object_img(obj).add_current_process()
    for sym in exports:
        builder.export_symbol(sym)
    # Library names can never be reused in an LLJIT, even after unloading.
    libname = f"{name}#{next(_library_ids)}"
    try:
        tracker = builder.link(_jit(), libname)
    except RuntimeError as exc:
        raise EngineError(f"the JIT could not load {name}: {exc}") from exc
    return JitLibrary(libname, tracker, {sym: tracker[sym] for sym in exports})


@functools.cache
def _export_numpy_symbols() -> None:
    """Make NumPy's exported SVML functions (codegen/ufunc_math.py calls them, as
    NumPy's own loops do) visible to the JIT's process-wide symbol lookup: CPython
    loads extension modules RTLD_LOCAL; opening the same file again RTLD_GLOBAL
    promotes it."""
    import ctypes

    from numpy._core import _multiarray_umath

    ctypes.CDLL(_multiarray_umath.__file__, mode=ctypes.RTLD_GLOBAL)


def calls_blas(data: bytes) -> bool:
    """Whether object code names NumPy's BLAS: a CBLAS call (``@``) or a LAPACK one
    (np.linalg: ``scipy_dgesv_64_`` ..., the names codegen/lapack.py calls)."""
    if b"cblas_" in data:
        return True
    from ember.native.boundary.blas import LAPACK_ROUTINES  # a tuple of names, no NumPy

    return any(name.encode() + b"_" in data for name in LAPACK_ROUTINES)


@functools.cache
def _export_blas_symbols() -> None:
    """NumPy's bundled BLAS (boundary/blas.py found it; codegen/matmul.py calls its
    gemm), promoted to RTLD_GLOBAL for the JIT's symbol lookup as for SVML."""
    import ctypes

    from ember.native.boundary.blas import find_blas

    blas = find_blas()
    if blas is not None:
        ctypes.CDLL(blas.path, mode=ctypes.RTLD_GLOBAL)


def _blas_link_inputs(objects: Sequence[bytes | Path]) -> list[str]:
    """NumPy's BLAS by absolute path when the code calls it: a NEEDED entry, so the
    warm path's plain dlopen resolves gemm against the copy NumPy already loaded."""
    for obj in objects:
        data = obj if isinstance(obj, bytes | bytearray) else Path(obj).read_bytes()
        if calls_blas(data):
            from ember.native.boundary.blas import find_blas

            blas = find_blas()
            return [blas.path] if blas is not None else []
    return []


def _numpy_link_inputs(objects: Sequence[bytes | Path]) -> list[str]:
    """NumPy's extension module, by absolute path, when the code calls the SVML
    functions it exports: the shared object then names it as a dependency (NEEDED), so
    a plain dlopen (the native cache's warm path, an AOT import) resolves them against
    the NumPy already loaded, without the RTLD_GLOBAL promotion the JIT needs."""
    for obj in objects:
        data = obj if isinstance(obj, bytes | bytearray) else Path(obj).read_bytes()
        if b"__svml_" in data:
            from numpy._core import _multiarray_umath

            return [os.path.abspath(_multiarray_umath.__file__)]
    return []


def find_cc() -> str | None:
    """The system C compiler used as a linker (``$CC`` first), or None."""
    cc = os.environ.get("CC")
    if cc:
        found = shutil.which(cc.split()[0])
        if found:
            return found
    for candidate in ("cc", "gcc", "clang"):
        found = shutil.which(candidate)
        if found:
            return found
    return None


def zig_cc() -> list[str] | None:
    """``python -m ziglang cc`` when the ``ziglang`` wheel is installed (Zig's clang
    driver and lld, from the package index: a linker for a machine with only Python and
    pip), else None. Its first link builds Zig's libc stubs (about a minute, cached in
    ~/.cache/zig); later links take a fraction of a second."""
    import importlib.util

    if importlib.util.find_spec("ziglang") is None:
        return None
    import sys

    return [sys.executable, "-m", "ziglang", "cc"]


def linker(fallback: bool = False) -> list[str] | None:
    """The command that links shared objects: the system C compiler (:func:`find_cc`),
    else, with ``fallback``, Zig's (:func:`zig_cc`); None when there is none."""
    cc = find_cc()
    if cc is not None:
        return [cc]
    return zig_cc() if fallback else None


def link_shared(objects: Sequence[bytes | Path], path: Path, fallback: bool = False) -> Path:
    """Link object files (bytes or paths) into the shared object ``path``, with the
    system C compiler or (``fallback``: an ahead-of-time build, which may wait for Zig's
    first link) the ``ziglang`` wheel's.

    The C API symbols stay undefined: the interpreter that loads the library provides
    them (as for any CPython extension). The write is atomic: linked to a temporary
    name in the same directory, then renamed over ``path``.
    """
    command = linker(fallback)
    if command is None:
        raise EngineError(
            "no C compiler/linker found (tried $CC, cc, gcc, clang"
            + (", python -m ziglang" if fallback else "") + "): linking a shared object "
            "needs one; install gcc or clang, set CC, or pip install ziglang"
        )
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="ember-link-") as tmp:
        inputs: list[str] = []
        for i, obj in enumerate(objects):
            if isinstance(obj, bytes | bytearray):
                p = Path(tmp, f"o{i}.o")
                p.write_bytes(obj)
                inputs.append(str(p))
            else:
                inputs.append(str(obj))
        fd, tmp_out = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        os.close(fd)
        cmd = [*command, "-shared", "-o", tmp_out, *inputs, *_numpy_link_inputs(objects),
               *_blas_link_inputs(objects)]
        if _host_is_macos():
            cmd[len(command) + 1:len(command) + 1] = ["-undefined", "dynamic_lookup"]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if proc.returncode != 0:
                raise EngineError(f"linking {path.name} failed: {proc.stderr.strip()}")
            os.replace(tmp_out, path)
        finally:
            if os.path.exists(tmp_out):
                os.unlink(tmp_out)
    return path


def _host_is_macos() -> bool:
    return "apple" in host().triple or "darwin" in host().triple

"""Native cache keys: names, fingerprints, function digests and global bindings."""

from __future__ import annotations

import hashlib
import inspect
import math
import sys
import textwrap
import types

from ember.native.cache import key as K

LIMIT = 10


def _sample(n):
    return n * LIMIT + math.floor(2.5)


def test_entry_name_is_readable_and_distinct():
    a = K.entry_name("/x/kernels.py", "kernels", "dot", "(int64)", "cache=True")
    assert a.startswith("kernels.dot.") and a.endswith(f".ember-{sys.implementation.cache_tag}")
    others = {
        K.entry_name("/x/kernels.py", "kernels", "dot", "(float64)", "cache=True"),
        K.entry_name("/x/kernels.py", "__main__", "dot", "(int64)", "cache=True"),
        K.entry_name("/x/kernels.py", "kernels", "dot", "(int64)", "fastmath=True"),
        K.entry_name("/x/kernels.py", "kernels", "C.dot", "(int64)", "cache=True"),
    }
    assert a not in others and len(others) == 4


def test_environment_key_is_stable_and_complete():
    key = K.environment_key()
    assert key == K.environment_key()
    assert key["ext_suffix"].endswith((".so", ".pyd"))
    assert len(key["machine"]) == 16
    assert key["llvmlite"] != "none"  # llvmlite is installed here
    assert key["numpy"] != "none"  # and NumPy


def test_numpy_key_follows_numpy_and_the_blas(monkeypatch):
    # A NumPy upgrade restamps its files; EMBER_BLAS names another library: both change
    # the key, so an entry linked against the old BLAS/LAPACK is never loaded.
    K.numpy_fingerprint.cache_clear()
    before = K.numpy_fingerprint()
    monkeypatch.setenv("EMBER_BLAS", "/opt/other/libopenblas.so")
    K.numpy_fingerprint.cache_clear()
    assert K.numpy_fingerprint() != before
    monkeypatch.delenv("EMBER_BLAS")
    K.numpy_fingerprint.cache_clear()
    assert K.numpy_fingerprint() == before


def test_machine_fingerprint_reads_cpu_flags_not_frequency(monkeypatch, tmp_path):
    # The fingerprint ignores fields that vary between boots (MHz, bogomips).
    real_open = open

    def fake(text):
        def opener(path, *a, **k):
            if path == "/proc/cpuinfo":
                p = tmp_path / "cpuinfo"
                p.write_text(text)
                return real_open(p, *a, **k)
            return real_open(path, *a, **k)

        return opener

    base = (
        "processor\t: 0\nmodel name\t: X\nflags\t\t: sse avx\ncpu MHz\t\t: {}\n\nprocessor\t: 1\n"
    )
    prints = []
    for mhz, flags in (("2600", "sse avx"), ("1200", "sse avx"), ("2600", "sse")):
        monkeypatch.setattr("builtins.open", fake(base.format(mhz).replace("sse avx", flags)))
        K.machine_fingerprint.cache_clear()
        prints.append(K.machine_fingerprint())
    K.machine_fingerprint.cache_clear()
    assert prints[0] == prints[1] != prints[2]


def test_function_digest_matches_the_frontends_definition():
    lines, start = inspect.getsourcelines(_sample)
    expected = hashlib.sha256(textwrap.dedent("".join(lines)).encode()).hexdigest()
    file_lines = K.read_lines(__file__)
    assert file_lines is not None
    assert K.function_digest(file_lines, start) == expected
    assert K.find_function_start(file_lines, start + 1, expected) == start
    assert K.function_digest(file_lines, 10**6) is None


def test_function_digest_of_a_method_is_dedented():
    src = "class A:\n    @staticmethod\n    def f(x):\n        return x\n"
    digest = K.function_digest(src.splitlines(True), 2)
    text = "@staticmethod\ndef f(x):\n    return x\n"
    assert digest == hashlib.sha256(text.encode()).hexdigest()


def test_binding_fingerprints():
    class FakeJit:
        __ember_jit__ = True
        py_func = _sample

    assert K.binding_fingerprint(1) != K.binding_fingerprint(1.0) != K.binding_fingerprint(True)
    assert K.binding_fingerprint(math) == "module:math"
    assert K.binding_fingerprint(FakeJit()).startswith(f"jit:{__name__}:_sample")
    assert K.binding_fingerprint(abs) == "builtin_function_or_method:builtins.abs"
    assert K.binding_fingerprint([1]).startswith("object:builtins.list")


def test_bindings_cover_globals_module_attributes_and_cells():
    b = K.bindings(_sample)
    assert b["LIMIT"] == "const:10"
    assert b["math"] == "module:math" and b["math.floor"].startswith("builtin")

    def make(k):
        def inner(x):
            return x + k

        return inner

    assert K.bindings(make(3))["<cell>k"] == "const:3"
    assert K.bindings(make(4))["<cell>k"] == "const:4"


def test_resolve_and_current_repr():
    ns = {"LIMIT": 10, "math": math}
    assert K.resolve(ns, {}, "LIMIT") == "const:10"
    assert K.resolve(ns, {}, "math.pi") == f"const:{math.pi!r}"
    assert K.resolve(ns, {}, "nope") == K.MISSING
    assert K.resolve(ns, {}, "math.nope") == K.MISSING
    assert K.current_repr(_sample, "LIMIT") == "10"
    assert K.current_repr(_sample, "math.pi") == repr(math.pi)
    assert K.current_repr(_sample, "undefined_name") is None


def test_find_live_function():
    assert K.find_live_function(__name__, "_sample") is _sample
    assert K.find_live_function(__name__, "f.<locals>.g") is None
    assert K.find_live_function("no.such.module", "f") is None
    mod = types.ModuleType("ember_fake_mod")

    class FakeJit:
        __ember_jit__ = True

        def __init__(self):
            self.py_func = _sample

    mod.k = FakeJit()
    sys.modules["ember_fake_mod"] = mod
    try:
        assert K.find_live_function("ember_fake_mod", "k") is _sample
    finally:
        del sys.modules["ember_fake_mod"]


def test_the_compiler_fingerprint_covers_every_stage_package(tmp_path):
    """Entries written by another ember are refused: any module of native/ or of its
    stage packages, edited, added or moved, changes the key."""
    (tmp_path / "codegen").mkdir()
    (tmp_path / "types.py").write_text("A = 1\n")
    (tmp_path / "codegen" / "lower.py").write_text("B = 2\n")
    before = K.compiler_fingerprint(str(tmp_path))
    (tmp_path / "codegen" / "lower.py").write_text("B = 22\n")
    edited = K.compiler_fingerprint.__wrapped__(str(tmp_path))
    (tmp_path / "codegen" / "lower.py").rename(tmp_path / "lower.py")
    moved = K.compiler_fingerprint.__wrapped__(str(tmp_path))
    (tmp_path / "codegen" / "__pycache__").mkdir()
    (tmp_path / "codegen" / "__pycache__" / "x.py").write_text("")
    assert len({before, edited, moved}) == 3
    assert K.compiler_fingerprint.__wrapped__(str(tmp_path)) == moved  # caches don't count


def test_numpy_key_covers_the_fft_ufunc_module(monkeypatch):
    # compiled np.fft calls into numpy/fft/_pocketfft_umath: a rebuilt one changes the key
    seen: list[str] = []
    real = K._stat_fingerprint

    def spy(paths, root=None):
        paths = list(paths)
        seen.extend(paths)
        return real(paths, root)

    monkeypatch.setattr(K, "_stat_fingerprint", spy)
    K.numpy_fingerprint.cache_clear()
    try:
        K.numpy_fingerprint()
    finally:
        K.numpy_fingerprint.cache_clear()
    assert any("_pocketfft_umath" in p for p in seen)

"""Exceptions in compiled code: ``raise`` (builtin and module-level classes, messages
built from numbers by f-strings, ``%`` and ``str.format``), ``try/except/else/finally``
catching what compiled code raises itself and what user code raises, ``assert``, the
traceback entry at the user's line, and no leaks over many raising calls.

Differential: every function runs interpreted (``f.py_func``) and compiled; they must
agree on the value, or on the exception's type *and* message (and on what was printed).

PYTEST_DONT_REWRITE: pytest's assert rewriting would change the interpreted functions'
AssertionError messages, which are compared here.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
import textwrap
import traceback
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # the harness, whatever the import mode

from _harness import PROFILE, floats, run, same  # noqa: E402

from ember.diagnostics import EmberError  # noqa: E402
from ember.native.runtime.dispatch import jit  # noqa: E402


class AppError(ValueError):
    """A user exception class at module level."""


class DeepError(AppError):
    pass


class Nested:
    class Inner(RuntimeError):
        pass


def agree(f: Any, *args: Any) -> Any:
    """Interpreted and compiled agree: value, or (exception type, message); output."""
    py, py_exc, py_out = run(f.py_func, args)
    got, got_exc, got_out = run(f, args)
    where = f"{f.__name__}{args!r}: python {py!r} ({py_exc}), ember {got!r} ({got_exc})"
    assert got_exc is py_exc, where
    assert got_out == py_out, where
    if py_exc is None:
        assert same(got, py), where
    else:
        assert got == py, where  # the message, exactly
    return py


# ------------------------------------------------------------------ raise


@jit(cache=False)
def messages(kind, x, n):
    if kind == 0:
        raise ValueError(f"bad x={x} n={n} half={x / 2} big={x * 1e20}")
    if kind == 1:
        raise ValueError(f"{x:.3f}|{x:e}|{x:g}|{n:d}|{n:>6}|{n:+}|{x:10.2f}|{n:x}|{x!r}")
    if kind == 2:
        raise TypeError("%d items at %.2f (%s, %r) %5.1e%%" % (n, x, n, x, x))  # noqa: UP031
    if kind == 3:
        raise KeyError("{1} and {0:.1f} and {1}".format(x, n))  # noqa: UP032
    if kind == 4:
        raise AppError(n, x)
    if kind == 5:
        raise KeyError(n)
    if kind == 6:
        raise RuntimeError
    if kind == 7:
        raise Nested.Inner(f"{n > 3} {x < 0}")
    if kind == 8:
        raise IndexError("plain")
    if kind == 9:
        raise OverflowError("{x} {n}".format(n=n, x=x))  # noqa: UP032
    return x + n


@pytest.mark.parametrize("kind", range(11))
@pytest.mark.parametrize("x, n", [(1.5, 3), (-0.0, -7), (math.inf, 0), (math.nan, 12345),
                                  (1e-310, -2**63), (0.1, 2**63 - 1)])
def test_raise_messages_are_pythons(kind: int, x: float, n: int) -> None:
    agree(messages, kind, x, n)


@PROFILE
@given(x=floats, n=st.integers(-2**63, 2**63 - 1), kind=st.integers(0, 10))
@example(x=1e16, n=0, kind=0)
@example(x=2.5, n=-1, kind=1)
def test_raise_messages_differential(x: float, n: int, kind: int) -> None:
    agree(messages, kind, x, n)


@jit(cache=False)
def bad_spec(x):
    raise ValueError(f"{x:d}")  # 'd' of a float: format() itself raises ValueError


def test_a_bad_format_spec_raises_what_format_raises() -> None:
    agree(bad_spec, 1.5)


# ------------------------------------------------------------------ try / except


@jit(cache=False)
def catches(kind, a, b):
    out = 0
    try:
        if kind == 0:
            out = a // b
        elif kind == 1:
            out = a % b
        elif kind == 2:
            out = int(a / b)
        elif kind == 3:
            out = a * b  # int64 overflow: deferred, still caught here
        elif kind == 4:
            out = int(math.sqrt(a))
        elif kind == 5:
            raise DeepError(f"deep {a}")
        elif kind == 6:
            raise KeyError(a)
        else:
            out = a + b
    except ZeroDivisionError as e:  # noqa: F841
        out = -1
    except (OverflowError, KeyError):
        out = -2
    except AppError:  # DeepError too: a subclass
        out = -3
    except ValueError:  # math domain error
        out = -4
    else:
        out += 1000
    return out


@pytest.mark.parametrize("kind", range(8))
@pytest.mark.parametrize("a, b", [(7, 2), (7, 0), (-7, 3), (2**62, 4), (-1, 5), (16, -1)])
def test_handlers_catch_compiled_and_user_exceptions(kind: int, a: int, b: int) -> None:
    compute = {0: lambda: a // b, 2: lambda: int(a / b), 3: lambda: a * b, 7: lambda: a + b}
    if kind in compute and (b != 0 or kind in (3, 7)):
        # ember's documented int64 difference: OverflowError where Python's int grows;
        # raised in the try body it is caught (-2), in the else clause it propagates.
        inner = compute[kind]()
        if not -2**63 <= inner < 2**63:
            assert catches(kind, a, b) == -2
            return
        if not -2**63 <= inner + 1000 < 2**63:
            with pytest.raises(OverflowError):
                catches(kind, a, b)
            return
    agree(catches, kind, a, b)


@jit(cache=False)
def index_guard(a, i):
    try:
        v = float(a[i])
    except IndexError:
        v = -1.0
    return v


def test_index_error_from_an_array_is_caught() -> None:
    a = np.arange(5.0)
    for i in (0, 4, 5, -5, -6, 100):
        agree(index_guard, a, i)


@jit(cache=False)
def uncaught(a, b):
    try:
        return a // b
    except KeyError:
        return -1


@jit(cache=False)
def bare_and_base(kind, a):
    try:
        if kind == 0:
            raise StopIteration(a)
        if kind == 1:
            return 10 // a
        raise Nested.Inner("x")
    except Exception:
        r = 1
    try:
        raise AppError(a)
    except:  # noqa: E722 - the bare form is the point
        r += 10
    return r


def test_unmatched_propagates_and_bare_and_exception_catch_all() -> None:
    agree(uncaught, 7, 0)
    agree(uncaught, 7, 2)
    for kind in range(3):
        for a in (0, 3):
            agree(bare_and_base, kind, a)


@jit(cache=False)
def reraise(kind, a):
    try:
        try:
            return 100 // a
        except ZeroDivisionError as e:
            if kind == 0:
                raise
            if kind == 1:
                raise e
            if kind == 2:
                raise AppError(f"wrapped {a}") from e
            if kind == 3:
                raise KeyError("quiet") from None
            if kind == 4:
                raise RuntimeError("during")  # noqa: B904 - implicit __context__
            return -1
    except KeyError:
        return -2


@pytest.mark.parametrize("kind", range(5))
def test_reraise_and_chaining(kind: int) -> None:
    agree(reraise, kind, 0)
    agree(reraise, kind, 4)
    for f in (reraise, reraise.py_func):
        try:
            f(kind, 0)
        except Exception as exc:  # noqa: BLE001
            got = exc
        else:
            continue
        if kind == 2:
            assert isinstance(got.__cause__, ZeroDivisionError)
        if kind == 4:
            assert isinstance(got.__context__, ZeroDivisionError) and got.__cause__ is None


@jit(cache=False)
def flow(n, stop):
    total = 0
    for i in range(n):
        try:
            if i == stop:
                break
            if i % 3 == 0:
                raise ValueError("skip")
            if i % 5 == 0:
                continue
            total += i
        except ValueError:
            total -= 1
            continue
        else:
            total += 1000
        finally:
            total += 100
    return total


@jit(cache=False)
def finally_returns(a):
    try:
        return 10 // a
    finally:
        if a == 1:
            return -5  # noqa: B012 - overrides the try's return, as in Python


@jit(cache=False)
def finally_runs_on_raise(a):
    count = 0
    try:
        try:
            count += 1
            x = 10 // a
        finally:
            count += 10
        count += x
    except ZeroDivisionError:
        count += 1000
    return count


@jit(cache=False)
def finally_swallows(a):
    while True:
        try:
            raise ValueError(a)
        finally:
            break  # noqa: B012
    return a


def test_break_continue_return_through_finally() -> None:
    for n in (0, 1, 7, 16):
        for stop in (-1, 0, 4, 9):
            agree(flow, n, stop)
    for a in (0, 1, 3):
        agree(finally_returns, a)
        agree(finally_runs_on_raise, a)
        agree(finally_swallows, a)


@jit(cache=False)
def overflow_in_try(a, b):
    r = 0
    try:
        r = a * b  # the deferred overflow must raise before the try is left
    except OverflowError:
        return -1
    return r


def test_a_deferred_overflow_is_caught_by_its_try() -> None:
    assert overflow_in_try(2**40, 2**40) == -1
    assert overflow_in_try(3, 4) == 12


@jit(cache=False)
def helper_raises(x):
    if x < 0:
        raise AppError(f"negative: {x}")
    return x * 2


@jit(cache=False)
def calls_helper(x):
    try:
        return helper_raises(x)
    except AppError:
        return -1


def test_a_callees_exception_is_caught_by_the_caller() -> None:
    for x in (-3, 0, 5):
        agree(calls_helper, x)
        agree(helper_raises, x)


@jit(cache=False)
def sees_exc_info(a):
    try:
        raise KeyError(a)
    except KeyError:
        print("handled")
    return 0


def test_sys_exc_info_restored_after_a_handler() -> None:
    try:
        raise LookupError("outer")
    except LookupError:
        agree(sees_exc_info, 3)
        assert isinstance(sys.exc_info()[1], LookupError)
    assert sys.exc_info() == (None, None, None)


# ------------------------------------------------------------------ assert


@jit(cache=False)
def checked(x, n):
    assert n >= 0, f"n must be >= 0, got {n}"
    assert x == x, "nan"
    assert n != 3
    assert n != 4, n
    return x * n


def test_assert_with_a_message() -> None:
    for x, n in [(1.5, 2), (1.0, -1), (math.nan, 1), (2.0, 3), (2.0, 4)]:
        agree(checked, x, n)


def test_assert_is_compiled_out_under_O(tmp_path: Path) -> None:
    src = tmp_path / "opt_mod.py"
    src.write_text(textwrap.dedent("""
        from ember.native.runtime.dispatch import jit
        @jit(cache=False)
        def f(n):
            assert n > 0, "positive"
            return n
        try:
            print(f(-1))
        except AssertionError as e:
            print("AssertionError", e)
    """))
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src")}
    plain = subprocess.run([sys.executable, str(src)], capture_output=True, text=True, env=env)
    opt = subprocess.run([sys.executable, "-O", str(src)], capture_output=True, text=True,
                         env=env)
    assert plain.stdout.strip() == "AssertionError positive", plain.stderr
    assert opt.stdout.strip() == "-1", opt.stderr


# ------------------------------------------------------------------ tracebacks


def test_the_traceback_ends_at_the_users_line() -> None:
    for f, args, needle in [(messages, (8, 1.0, 1), 'raise IndexError("plain")'),
                            (uncaught, (1, 0), "return a // b"),
                            (calls_helper.py_func and helper_raises, (-1,), "raise AppError")]:
        try:
            f(*args)
        except Exception as exc:  # noqa: BLE001
            last = traceback.extract_tb(exc.__traceback__)[-1]
        assert last.filename == __file__
        assert last.name == f.__name__
        assert needle in last.line, last


def test_a_nested_call_shows_both_frames() -> None:
    @jit(cache=False)
    def outer(x):
        return helper_raises(x) + 1
    with pytest.raises(AppError) as info:
        outer(-1)
    names = [fr.name for fr in traceback.extract_tb(info.value.__traceback__)]
    assert names[-2:] == ["outer", "helper_raises"]


# ------------------------------------------------------------------ refused


def _refused(source: str, match: str) -> None:
    ns: dict[str, Any] = {"AppError": AppError}
    path = Path(__file__).with_name("_exc_refused.py")
    exec(compile(source, str(path), "exec"), ns)  # noqa: S102
    import linecache
    linecache.cache[str(path)] = (len(source), None, source.splitlines(True), str(path))
    with pytest.raises(EmberError, match=match):
        jit(cache=False)(ns["f"])(1)


def test_unsupported_uses_are_refused_by_name() -> None:
    _refused("def f(x):\n    try:\n        x = 1 // x\n    except ValueError as e:\n"
             "        print(e)\n    return x\n", "can only be re-raised")
    _refused("E = AppError('x')\ndef f(x):\n    raise E\n", "exception instance")
    _refused("def f(x):\n    raise len\n", "not an exception class")
    _refused("def f(x):\n    raise AppError(x=1)\n", "keyword arguments")


# ------------------------------------------------------------------ leaks


@jit(cache=False)
def validate(n):
    bad = 0
    for i in range(n):
        try:
            if i % 3 == 0:
                raise ValueError(f"item {i} is bad: {i * 0.5:.2f}")
            bad += 0
        except ValueError:
            bad += 1
    return bad


def _rss_kb() -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0  # pragma: no cover


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs /proc")
def test_raising_calls_do_not_leak() -> None:
    def many() -> None:
        for i in range(100_000):
            try:
                messages(0, 1.5, i)
            except ValueError:
                pass
        validate(100_000)
    many()  # warm up: allocator pools, caches
    before = _rss_kb()
    for _ in range(3):
        many()
    assert _rss_kb() - before < 2048, (before, _rss_kb())
    assert validate(100_000) == validate.py_func(100_000)


# ------------------------------------------------------------------ control flow, more


@jit(cache=False)
def exits_from_handlers(kind, n):
    total = 0
    for i in range(n):
        try:
            try:
                if i % 2 == 0:
                    raise KeyError(i)
                total += 1
            except KeyError:
                if kind == 0 and i == 4:
                    return total * 1000
                if kind == 1 and i == 4:
                    break
                if kind == 2:
                    continue
                total += 10
            finally:
                print("inner finally", i)
        finally:
            print("outer finally", i)
            total += 100
    return total


@pytest.mark.parametrize("kind", range(4))
def test_return_break_continue_leave_handlers_and_finally_in_order(kind: int) -> None:
    for n in (0, 3, 8):
        agree(exits_from_handlers, kind, n)
    assert sys.exc_info() == (None, None, None)


@jit(cache=False)
def raise_in_finally(kind, a):
    try:
        try:
            if kind == 0:
                return 10 // a
            raise KeyError(a)
        finally:
            if a == 2:
                raise ValueError(f"finally {a}")
    except ValueError:
        return -1
    except KeyError:
        return -2


@jit(cache=False)
def else_is_not_protected(a):
    try:
        try:
            r = 10 // a
        except ZeroDivisionError:
            r = -1
        else:
            r = 10 // (a - 1)  # raised in else: not this try's handlers
        return r
    except ZeroDivisionError:
        return -100


@jit(cache=False)
def bare_raise_outside(a):
    if a > 0:
        raise
    return a


def test_finally_raising_else_and_bare_raise() -> None:
    for kind in (0, 1):
        for a in (0, 1, 2):
            agree(raise_in_finally, kind, a)
    for a in (0, 1, 2):
        agree(else_is_not_protected, a)
    agree(bare_raise_outside, 0)
    agree(bare_raise_outside, 1)  # RuntimeError: No active exception to reraise


@jit(cache=False)
def checked_callee(x):
    assert x < 10, f"x too big: {x}"
    return x


@jit(cache=False)
def catches_assert(x):
    try:
        return checked_callee(x)
    except AssertionError:
        return -1


def test_assertion_error_from_a_callee_is_caught() -> None:
    for x in (3, 12):
        agree(catches_assert, x)
        agree(checked_callee, x)


@jit(cache=False)
def wraps_messages(kind, a):
    try:
        if kind == 0:
            return 10 // a
        if kind == 1:
            raise KeyError(a)
        raise AppError(f"app {a}", a)
    except (ZeroDivisionError, KeyError, AppError) as e:
        if a == 1:
            raise RuntimeError(f"failed: {e} / {e!r}") from e
        if a == 2:
            raise RuntimeError("%s (%r)" % (e, e))  # noqa: B904, UP031 - implicit chaining, % on purpose
        raise RuntimeError(e)  # noqa: B904 - implicit chaining on purpose


@jit(cache=False)
def numpy_value_errors(n):
    try:
        s = float(np.linspace(0.0, 1.0, n).sum())
    except ValueError:
        s = -1.0
    try:
        s += np.zeros(n).size
    except ValueError as e:
        raise IndexError(f"zeros: {e}") from None
    return s


def test_a_caught_exception_formats_into_a_message() -> None:
    for kind in range(3):
        for a in (0, 1, 2, 3):
            agree(wraps_messages, kind, a)


def test_value_errors_from_numpy_functions_are_caught() -> None:
    for n in (3, 0, -1):
        agree(numpy_value_errors, n)


@PROFILE
@given(kind=st.integers(0, 7), a=st.integers(-2**63, 2**63 - 1),
       b=st.one_of(st.integers(-3, 3), st.integers(-2**63, 2**63 - 1)))
@example(kind=7, a=2**62 + 2**61, b=2**62 + 2**61)
@example(kind=7, a=2**63 - 1001, b=1)
@example(kind=3, a=2**62, b=-2)
@example(kind=0, a=-2**63, b=-1)
@example(kind=0, a=-2**63 + 1000, b=-1)
@example(kind=2, a=-2**63, b=-1)
def test_handlers_differential(kind: int, a: int, b: int) -> None:
    test_handlers_catch_compiled_and_user_exceptions(kind, a, b)


@PROFILE
@given(kind=st.integers(0, 3), n=st.integers(0, 12), stop=st.integers(-1, 12))
def test_flow_differential(kind: int, n: int, stop: int) -> None:
    agree(flow, n, stop)
    agree(exits_from_handlers, kind, n)


@jit(cache=False)
def contexts(kind, a):
    try:
        raise KeyError(a)
    except KeyError as outer:
        if kind == 0:
            raise AppError("plain") from outer
        try:
            q = 10 // a
        except ZeroDivisionError:  # a light handler (nothing names the exception)
            if kind == 1:
                raise RuntimeError(f"light {a}")  # noqa: B904 - implicit chaining on purpose
            if kind == 2:
                q = (a + 7) * (2**62)  # int64 overflow: ember raises in the light handler
            q = -1
        return q


def _chain(f: Any, *args: Any) -> list[tuple[str, str, bool]]:
    try:
        f(*args)
    except Exception as exc:  # noqa: BLE001
        out, e = [], exc
        while e is not None:
            out.append((type(e).__name__, str(e), e.__suppress_context__))
            e = e.__cause__ or e.__context__
        return out
    return []


@pytest.mark.parametrize("kind", range(3))
def test_context_chains_through_light_and_full_handlers(kind: int) -> None:
    for a in (0, 3):
        if kind == 2 and a == 0:
            # Python's int grows; ember's OverflowError is chained as CPython would
            got = [c[0] for c in _chain(contexts, kind, a)]
            assert got == ["OverflowError", "ZeroDivisionError", "KeyError"], got
            continue
        assert _chain(contexts, kind, a) == _chain(contexts.py_func, kind, a)
    agree(contexts, kind, 3)


@jit(cache=False)
def callee_with_finally(a):
    try:
        return 10 // a
    except ZeroDivisionError:
        return -1
    finally:
        if a == 2:
            return 99  # noqa: B012


@jit(cache=False)
def recursive_catch(n):
    if n <= 0:
        raise KeyError(n)
    try:
        return recursive_catch(n - 1) + 1
    except KeyError:
        if n % 2 == 0:
            raise
        return 100 * n


@jit(cache=False)
def calls_try_callees(a):
    return callee_with_finally(a) + callee_with_finally(a + 1) + recursive_catch(a)


def test_callees_and_recursion_with_try() -> None:
    for a in (-1, 0, 1, 2, 3, 4):
        agree(calls_try_callees, a)
        agree(recursive_catch, a)


def test_the_native_cache_keeps_exceptions_and_asserts_follow_O(tmp_path: Path) -> None:
    (tmp_path / "cached_mod.py").write_text(textwrap.dedent("""
        from ember.native.runtime.dispatch import jit
        class Bad(ValueError):
            pass
        @jit
        def f(x):
            assert x != 7, f"seven {x}"
            try:
                if x < 0:
                    raise Bad(f"neg {x}")
                return 10 // x
            except ZeroDivisionError:
                return -1
    """))
    (tmp_path / "main.py").write_text(textwrap.dedent("""
        import traceback, cached_mod
        print(cached_mod.f(5), cached_mod.f(0))
        for x in (-3, 7):
            try:
                cached_mod.f(x)
            except Exception as e:
                last = traceback.extract_tb(e.__traceback__)[-1]
                print(type(e).__name__, e, last.name, last.lineno)
    """))
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src"),
           "EMBER_DEBUG": "cache"}
    runs = [subprocess.run([sys.executable, *flags, "main.py"], capture_output=True, text=True,
                           env=env, cwd=tmp_path) for flags in ([], [], ["-O"])]
    for r in runs:
        assert r.returncode == 0, r.stderr
    want = "2 -1\nBad neg -3 f 10\nAssertionError seven 7 f 7\n"
    assert runs[0].stdout == runs[1].stdout == want
    assert "ember cache: hit" in runs[1].stderr, runs[1].stderr
    assert runs[2].stdout == "2 -1\nBad neg -3 f 10\n"  # -O: no assert, a fresh compile
    assert "captured __debug__" in runs[2].stderr, runs[2].stderr


def test_an_aot_extension_raises_and_catches(tmp_path: Path) -> None:
    (tmp_path / "aot_exc.py").write_text(textwrap.dedent("""
        import ember
        class Bad(ValueError):
            pass
        @ember.jit
        def f(x: int) -> int:
            try:
                if x < 0:
                    raise Bad(f"neg {x}")
                return 10 // x
            except ZeroDivisionError:
                return -1
    """))
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src")}
    built = subprocess.run([sys.executable, "-m", "ember", "aot", "aot_exc.py"], cwd=tmp_path,
                           capture_output=True, text=True, env=env)
    assert built.returncode == 0, built.stderr
    run_it = subprocess.run([sys.executable, "-c", textwrap.dedent("""
        import traceback, aot_exc
        print(aot_exc.f(5), aot_exc.f(0))
        try:
            aot_exc.f(-2)
        except aot_exc.Bad as e:
            print("Bad", e, traceback.extract_tb(e.__traceback__)[-1].lineno)
    """)], cwd=tmp_path, capture_output=True, text=True, env=env)
    assert run_it.stdout == "2 -1\nBad neg -2 9\n", run_it.stderr

"""The program generator: random but valid programs in the subset ``@ember.jit`` compiles.

A program is a few module-level functions (callees ``g0, g1, ...``, then the entry ``f``)
plus a list of argument tuples for ``f``. Every expression is generated for a static type
(int, float, bool, an array of one dtype and ndim), so each local and each return keeps
one type, as ember's inference requires; values are free to hit every edge (int64 limits,
0, -1, nan, inf, -0.0) and every error (division by zero, out-of-range and negative
indices, overflow, domain errors). Loops have bounded trip counts, so every program ends.

Everything is drawn from ``random.Random(f"{seed}:{index}")``: a program is named by its
seed and index alone, and the worker regenerates it from those two numbers.
"""

from __future__ import annotations

import ast
import math
import random
from dataclasses import dataclass, field
from typing import Any

from .reference import constant_exponent, evaluate

# Constructs ember gets wrong on main, each mapped to the issue 10 item being fixed on
# another branch. The generator leaves a construct out while its name is in this set;
# empty the set (or remove a name) once the fix is merged, and the CI run covers it.
KNOWN_BROKEN: frozenset[str] = frozenset()
# Names once in the set, each still honoured by the generator if put back: "float_minmax"
# (10.4, a CPU-dependent tie of signed zeros: now reference.Ties), "deep_recursion"
# (10.3, recursion 400 deep: the stack guard landed), "int_sum", "float32_sum",
# "store_oob_convert", "store_value_order", "arange_edges", "annotated_recursion".
# (A constant-test conditional expression with arms of two types, ``(x/2 if False else
# x//1)``, never arises here: both arms of a generated one have the same type. It is
# covered by test_differential.py instead.)

INT_DTYPES = ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64")
DTYPES = ("bool", *INT_DTYPES, "float32", "float64")
LAYOUTS = ("C", "F", "strided", "reversed")  # how an argument array is made in Python

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
EDGE_INTS = (0, 1, -1, 2, -2, 3, 5, 7, -7, 10, 31, 32, 63, 64, 127, 128, -128, 255, 256,
             2**31 - 1, -(2**31), 2**32, 2**53 + 1, 2**62, -(2**62), 3037000500,
             INT64_MAX, INT64_MAX - 1, INT64_MIN, INT64_MIN + 1)  # fmt: skip
EDGE_FLOATS = (0.0, -0.0, 1.0, -1.0, 0.5, -2.5, 3.0, 1e-300, 5e-324, 1e300, -1e308, 2.0**63,
               -(2.0**63), 2.0**53, 1e16, 0.1, math.pi, 710.0, math.inf, -math.inf,
               math.nan)  # fmt: skip
SMALL_INTS = tuple(range(-5, 9))
# Negative exponents in each form ember's inference folds (a literal, unary and binary
# operators of constants, a conditional expression with a constant test).
NEGATIVE_EXPONENTS = ("(-1)", "(-2)", "(-3)", "(~True)", "(~0)", "(1 - 3)", "(-(-(-1)))",
                      "(-1074)", "(-64)", "(-1 if True else 2)", "(-(2 * 3) // 4)")  # fmt: skip
# np.arange at the edges of NumPy's length rule; each has a few elements or raises.
_MIN, _MAX = f"({INT64_MIN})", str(INT64_MAX)
ARANGE_EDGES = {
    "int64": (f"0, {_MIN}, -1", f"0, {2**62 + 1}, {2**62}", f"{_MIN}, {_MAX}, {2**62}",
              f"{_MAX}, {_MIN}, -1", f"0, {_MAX}, 1", "0, 0, 0", f"{_MIN}, {INT64_MIN + 5}, 2",
              f"{_MAX}, {INT64_MAX - 6}, -2", f"0, {_MIN}, {_MIN}", f"{_MAX}"),
    "float64": ("0, 10, math.inf", "0, -10, math.inf", "0.0, 0.0, 1.0", "0, math.nan, 1.0",
                "0, math.inf, 1.0", "0, 1, 1e-300", f"{2**53 + 1}, {2**53 + 3}, 0.5",
                "0.0, 1.0, 0.0", "1e-320, 0.0, (-math.inf)", "0.1, 1, 0.1"),
}

Type = Any  # "int" | "float" | "bool" | ("arr", dtype, ndim) | ("tuple", (Type, ...))


#: The dtypes whose elements are Python's numbers in compiled code (the others load as
#: NumPy scalars: frontend/np_scalars.py).
PYTHON_DTYPES = ("float64", "int64", "bool")


def elem_type(dtype: str) -> str:
    """The scalar type an element of ``dtype`` loads as in compiled code."""
    return "bool" if dtype == "bool" else "float" if dtype.startswith("float") else "int"


def np_dtype(dtype: str) -> str:
    return "np.bool_" if dtype == "bool" else f"np.{dtype}"


@dataclass
class Program:
    """Generated source and the argument specs (see ``draw_value``) of each call of ``f``."""

    seed: int
    index: int
    source: str
    calls: list[tuple[Any, ...]]
    functions: list[str] = field(default_factory=list)
    annotated: set[str] = field(default_factory=set)


@dataclass
class Fn:
    name: str
    params: list[tuple[str, Type]]
    ret: Type
    recursive: bool = False


class Scope:
    """The names visible at one point: a chain of blocks, so a name assigned in a nested
    block is never read after it (ember rejects a maybe-unassigned read)."""

    def __init__(self, parent: Scope | None = None) -> None:
        self.parent = parent
        self.names: dict[str, Type] = {}
        self.local_arrays: set[str] = set() if parent is None else parent.local_arrays

    def all(self) -> dict[str, Type]:
        out = self.parent.all() if self.parent else {}
        out.update(self.names)
        return out


class Gen:
    """Generates one program; ``rng`` drives every choice."""

    def __init__(self, rng: random.Random, broken: frozenset[str]) -> None:
        self.rng = rng
        self.broken = broken
        self.fns: list[Fn] = []
        self.consts: dict[str, Type] = {}
        self.const_values: dict[str, Any] = {}
        self.counter = 0
        self.pool = [(rng.choice(DTYPES), rng.choice((1, 1, 2))) for _ in range(2)]
        self.cur: Fn | None = None
        self.loop_depth = 0
        self.budget = 0

    def fresh(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    # ------------------------------------------------------------------ expressions

    def names_of(self, scope: Scope, t: Type) -> list[str]:
        return [n for n, nt in scope.all().items() if nt == t] + [
            n for n, nt in self.consts.items() if nt == t
        ]

    def arrays(self, scope: Scope) -> list[tuple[str, str, int]]:
        return [
            (n, t[1], t[2])
            for n, t in scope.all().items()
            if isinstance(t, tuple) and t[0] == "arr"
        ]

    def expr(self, t: str, scope: Scope, depth: int = 0) -> str:
        r = self.rng
        if depth >= 3 or r.random() < 0.25:
            return self.leaf(t, scope)
        makers = {"int": self.int_expr, "float": self.float_expr, "bool": self.bool_expr}
        for _ in range(4):
            got = makers[t](scope, depth + 1)
            if got is not None:
                return got
        return self.leaf(t, scope)

    def leaf(self, t: str, scope: Scope) -> str:
        names = self.names_of(scope, t)
        if names and self.rng.random() < 0.7:
            return self.rng.choice(names)
        return self.const(t)

    def const(self, t: str) -> str:
        r = self.rng
        if t == "bool":
            return r.choice(("True", "False"))
        if t == "int":
            v = r.choice(SMALL_INTS) if r.random() < 0.6 else r.choice(EDGE_INTS)
            return f"({v})" if v < 0 else str(v)
        v = r.choice(EDGE_FLOATS) if r.random() < 0.6 else r.choice((0.25, 1.5, -3.75, 2.0))
        if math.isnan(v):
            return "math.nan"
        if math.isinf(v):
            return "math.inf" if v > 0 else "(-math.inf)"
        return f"({v!r})" if math.copysign(1, v) < 0 else repr(v)

    def int_expr(self, s: Scope, d: int) -> str | None:
        r = self.rng
        e = lambda t="int": self.expr(t, s, d)  # noqa: E731
        k = r.randrange(12)
        if k <= 2:
            op = r.choice(("+", "-", "*", "//", "%", "**", "<<", ">>", "&", "|", "^"))
            left = e(r.choice(("int", "int", "int", "bool")))
            if op == "**" and r.random() < 0.7:
                return f"({left} ** {r.choice((0, 1, 2, 3, 5))})"
            if op in ("<<", ">>") and r.random() < 0.6:
                return f"({left} {op} {r.choice((0, 1, 3, 31, 62, 63, 64))})"
            right = e()
            if op == "**" and self.negative_constant(right):
                right = "2"  # a constant negative exponent makes the power a float
            return f"({left} {op} {right})"
        if k == 3:
            return f"({r.choice(('-', '~', '+'))}{e(r.choice(('int', 'bool')))})"
        if k == 4:
            return f"({e()} if {e('bool')} else {e()})"
        if k == 5:
            return f"({e()} {r.choice(('and', 'or'))} {e()})"
        if k == 6:
            f = r.choice(
                (
                    "abs",
                    "min",
                    "max",
                    "int",
                    "round",
                    "math.floor",
                    "math.ceil",
                    "math.trunc",
                    "math.gcd",
                    "math.isqrt",
                )
            )
            if f in ("min", "max"):
                return f"{f}({', '.join(e() for _ in range(r.choice((2, 3))))})"
            if f == "math.gcd":
                return f"math.gcd({e()}, {e()})"
            return f"{f}({e('int' if f in ('abs', 'math.isqrt') else 'float')})"
        if k == 7:
            return self.array_int(s)
        if k in (8, 9):
            return self.load(s, "int") or self.call_expr(s, "int", d)
        return self.call_expr(s, "int", d)

    def negative_constant(self, src: str) -> bool:
        """Whether ``src``, an int expression, is one ember folds (``reference.py``'s
        ``constant_exponent``) to a negative value: as an exponent it makes ``**`` a
        float, which int_expr must not produce."""
        node = ast.parse(src, mode="eval").body
        if not constant_exponent(node, self.const_values):
            return False
        try:
            return bool(evaluate(src, self.const_values) < 0)
        except (ArithmeticError, ValueError):
            return False  # raises in both before the power: its sign does not matter

    def array_int(self, s: Scope) -> str | None:
        arrs = self.arrays(s)
        if not arrs:
            return None
        name, dtype, ndim = self.rng.choice(arrs)
        k = self.rng.randrange(5)
        if k == 0:
            return f"len({name})"
        if k == 1:
            return f"{name}.shape[{self.rng.randrange(ndim)}]"
        if k == 2:
            return f"{name}.size" if self.chance(0.7) else f"{name}.ndim"
        if elem_type(dtype) == "int" and "int_sum" in self.broken:
            return f"len({name})"
        # int(...): a reduction is NumPy's scalar (np.int64 ...); the reference computes
        # with Python's ints (test_numpy_scalar_semantics.py covers NumPy's scalars).
        if elem_type(dtype) == "bool":
            return f"int({name}.sum())"
        if elem_type(dtype) == "int":
            return f"int({name}.{self.rng.choice(('sum', 'min', 'max'))}())"
        return None

    def float_expr(self, s: Scope, d: int) -> str | None:
        r = self.rng
        e = lambda t="float": self.expr(t, s, d)  # noqa: E731
        k = r.randrange(12)
        if k <= 2 and r.random() < 0.1:
            # int ** a negative exponent known at compile time: a float, as in CPython.
            neg = r.choice(NEGATIVE_EXPONENTS + tuple(
                f"(-{n})" for n, v in self.const_values.items() if type(v) is int and v > 0
            ))
            base = e(r.choice(("int", "int", "bool")))
            return f"pow({base}, {neg})" if r.random() < 0.2 else f"({base} ** {neg})"
        if k <= 2:
            op = r.choice(("+", "-", "*", "/", "//", "%", "**"))
            a, b = e(), e(r.choice(("float", "int", "bool")))
            if r.random() < 0.5:
                a, b = b, a
            return f"({a} {op} {b})"
        if k == 3:
            return f"({e('int')} / {e('int')})"
        if k == 4:
            return f"({r.choice(('-', '+'))}{e()})"
        if k == 5:
            return f"({e()} if {e('bool')} else {e()})"
        if k == 6:
            f = r.choice(
                (
                    "sqrt",
                    "exp",
                    "log",
                    "log2",
                    "log10",
                    "log1p",
                    "expm1",
                    "sin",
                    "cos",
                    "tan",
                    "atan",
                    "asin",
                    "acos",
                    "sinh",
                    "tanh",
                    "fabs",
                    "erf",
                    "gamma",
                    "lgamma",
                    "cbrt",
                    "degrees",
                    "floor_f",
                )
            )
            if f == "floor_f":
                return f"float({e('int')})"
            return f"math.{f}({e(r.choice(('float', 'float', 'int')))})"
        if k == 7:
            f = r.choice(("atan2", "pow", "copysign", "fmod", "hypot", "remainder"))
            return f"math.{f}({e()}, {e(r.choice(('float', 'int')))})"
        if k == 8:
            f = r.choice(("abs", "min", "max", "round"))
            if f == "round":
                return f"round({e()}, {r.choice((0, 1, 2, -1))})"
            if f == "abs":
                return f"abs({e()})"
            return f"{f}({e()}, {e()})"
        if k == 9:
            return self.array_float(s)
        if k == 10:
            return self.load(s, "float") or self.call_expr(s, "float", d)
        return self.call_expr(s, "float", d)

    def array_float(self, s: Scope) -> str | None:
        arrs = [a for a in self.arrays(s) if elem_type(a[1]) == "float"]
        if not arrs:
            return None
        name, dtype, _ = self.rng.choice(arrs)
        ops = ["sum"] if dtype == "float64" or "float32_sum" not in self.broken else []
        if "float_minmax" not in self.broken:
            ops += ["min", "max"]
        return f"float({name}.{self.rng.choice(ops)}())" if ops else None

    def bool_expr(self, s: Scope, d: int) -> str | None:
        r = self.rng
        e = lambda t="bool": self.expr(t, s, d)  # noqa: E731
        k = r.randrange(10)
        if k <= 2:
            t = r.choice(("int", "float", "int"))
            parts = [self.expr(t, s, d)]
            for _ in range(r.choice((1, 1, 2))):
                parts += [r.choice(("==", "!=", "<", "<=", ">", ">=")), self.expr(t, s, d)]
            return f"({' '.join(parts)})"
        if k == 3:
            return f"(not {e()})"
        if k == 4:
            return f"({e()} {r.choice(('and', 'or', '&', '|', '^'))} {e()})"
        if k == 5:
            return f"math.{r.choice(('isnan', 'isinf', 'isfinite'))}({self.expr('float', s, d)})"
        if k == 6:
            return f"bool({self.expr(r.choice(('int', 'float')), s, d)})"
        if k == 7:
            return f"({e()} if {e()} else {e()})"
        if k == 8:
            return self.load(s, "bool") or self.call_expr(s, "bool", d)
        return self.call_expr(s, "bool", d)

    def index(self, s: Scope, name: str, ndim: int, axis: int) -> str:
        r = self.rng
        loops = [n for n, t in s.all().items() if t == "int" and n.startswith("i")]
        k = r.randrange(8)
        if k <= 2 and loops:
            return r.choice(loops)
        if k == 3:
            return str(r.choice((0, 1, 2, -1, -2, -3, 4, 5)))
        n = f"len({name})" if ndim == 1 else f"{name}.shape[{axis}]"
        if k == 4:
            return r.choice((f"({n} - 1)", f"(-{n})", n, f"({n} // 2)"))
        if k == 5:
            return f"({self.expr('int', s, 2)} % {r.choice((2, 3, 5))})"
        return self.expr("int", s, 2)

    def subscript(self, s: Scope, name: str, ndim: int) -> str:
        return f"{name}[{', '.join(self.index(s, name, ndim, ax) for ax in range(ndim))}]"

    def load(self, s: Scope, t: str) -> str | None:
        arrs = [a for a in self.arrays(s) if elem_type(a[1]) == t]
        if not arrs:
            return None
        name, dtype, ndim = self.rng.choice(arrs)
        if dtype in PYTHON_DTYPES:
            return self.subscript(s, name, ndim)
        # An element of another dtype is NumPy's scalar (np.int8 arithmetic): converted
        # to the Python number the reference computes with.
        return f"{t}({self.subscript(s, name, ndim)})"

    def call_expr(self, s: Scope, t: Type, d: int) -> str | None:
        fits = [f for f in self.fns if f.ret == t and f is not self.cur]
        if not fits:
            return None
        fn = self.rng.choice(fits)
        args = self.args_for(fn, s, d)
        return None if args is None else f"{fn.name}({args})"

    def args_for(self, fn: Fn, s: Scope, d: int) -> str | None:
        args = []
        for i, (_, t) in enumerate(fn.params):
            if isinstance(t, tuple):
                names = self.names_of(s, t)
                if not names:
                    return None
                args.append(self.rng.choice(names))
            elif fn.recursive and i == 0:
                depth = 12 if "deep_recursion" in self.broken else 400
                args.append(f"({self.expr('int', s, d + 1)} % {depth})")
            else:
                args.append(self.expr(t, s, d + 1))
        return ", ".join(args)

    # ------------------------------------------------------------------- statements

    def block(self, s: Scope, out: list[str], ind: str, n: int) -> None:
        start = len(out)
        for _ in range(n):
            if self.budget <= 0:
                break
            self.budget -= 1
            self.stmt(s, out, ind)
        if len(out) == start:
            out.append(f"{ind}pass")

    def stmt(self, s: Scope, out: list[str], ind: str) -> None:
        r = self.rng
        k = r.randrange(20)
        scalars = [(n, t) for n, t in s.all().items() if t in ("int", "float", "bool")]
        if k <= 3 or not scalars:
            t = r.choice(("int", "int", "float", "bool"))
            name = self.fresh({"int": "n", "float": "x", "bool": "b"}[t])
            out.append(f"{ind}{name} = {self.expr(t, s)}")
            s.names[name] = t
        elif k <= 6:
            name, t = r.choice(scalars)
            if t == "bool" or r.random() < 0.4:
                out.append(f"{ind}{name} = {self.expr(t, s)}")
            else:
                ops = ["+", "-", "*", "//", "%"] + (
                    ["/", "**"] if t == "float" else ["<<", ">>", "&", "|", "^"]
                )
                op = r.choice(ops)
                rhs = self.expr(t if t == "int" else r.choice(("float", "int")), s)
                out.append(f"{ind}{name} {op}= {rhs}")
        elif k <= 8:
            self.if_stmt(s, out, ind)
        elif k <= 10:
            self.for_stmt(s, out, ind)
        elif k == 11:
            self.while_stmt(s, out, ind)
        elif k <= 14:
            self.store(s, out, ind)
        elif k == 15 and self.loop_depth:
            out.append(f"{ind}if {self.expr('bool', s)}:")
            out.append(f"{ind}    {r.choice(('break', 'continue'))}")
        elif k == 16:
            call = self.call_expr(s, r.choice(("int", "float", "bool")), 1)
            if call:
                out.append(f"{ind}{call}")
        elif k == 17 and self.cur and self.cur.name == "f" and r.random() < 0.3:
            out.append(f"{ind}print({self.expr(r.choice(('int', 'float', 'bool')), s)})")
        elif k == 18 and s.parent is not None and self.cur:
            ret = self.ret_expr(self.cur.ret, s)
            if ret is not None:
                out.append(f"{ind}if {self.expr('bool', s)}:")
                out.append(f"{ind}    return {ret}")
        elif k == 19:
            self.new_array(s, out, ind)

    def if_stmt(self, s: Scope, out: list[str], ind: str) -> None:
        out.append(f"{ind}if {self.expr('bool', s)}:")
        self.block(Scope(s), out, ind + "    ", self.rng.randint(1, 3))
        if self.chance(0.3):
            out.append(f"{ind}elif {self.expr('bool', s)}:")
            self.block(Scope(s), out, ind + "    ", self.rng.randint(1, 2))
        if self.chance(0.5):
            out.append(f"{ind}else:")
            self.block(Scope(s), out, ind + "    ", self.rng.randint(1, 2))

    def for_stmt(self, s: Scope, out: list[str], ind: str) -> None:
        r = self.rng
        if self.loop_depth >= 2:
            return
        var = self.fresh("i")
        arrs = [a for a in self.arrays(s) if a[2] == 1]
        k = r.randrange(6)
        arrs = [a for a in arrs if a[1] in PYTHON_DTYPES]  # elements as Python's numbers
        if k == 0 and arrs:
            name, dtype, _ = r.choice(arrs)
            var = self.fresh({"int": "e", "float": "y", "bool": "c"}[elem_type(dtype)])
            header, vt = f"for {var} in {name}:", elem_type(dtype)
        elif k == 1:
            lo, hi = self.expr("int", s, 2), self.expr("int", s, 2)
            step = r.choice((2**61, -(2**61), 2**62, INT64_MAX, -INT64_MAX))
            header, vt = f"for {var} in range({lo}, {hi}, {step}):", "int"
        elif k == 2:
            stop = f"({self.expr('int', s, 2)}) % {r.choice((3, 6, 9))}"
            header, vt = f"for {var} in range({stop}):", "int"
        elif k == 3 and self.arrays(s):
            name, _, ndim = r.choice(self.arrays(s))
            n = f"len({name})" if ndim == 1 else f"{name}.shape[{r.randrange(ndim)}]"
            header, vt = f"for {var} in range({n}):", "int"
        else:
            a, b = r.randint(-3, 3), r.randint(-3, 8)
            step = r.choice((1, 1, 2, -1, 3))
            if r.random() < 0.2:
                step = f"({self.expr('int', s, 2)}) % 3 - 1"  # a zero step: ValueError
            header, vt = f"for {var} in range({a}, {b}, {step}):", "int"
        out.append(f"{ind}{header}")
        inner = Scope(s)
        inner.names[var] = vt
        self.loop_depth += 1
        self.block(inner, out, ind + "    ", r.randint(1, 3))
        self.loop_depth -= 1
        if r.random() < 0.15:
            out.append(f"{ind}else:")
            self.block(Scope(s), out, ind + "    ", 1)

    def while_stmt(self, s: Scope, out: list[str], ind: str) -> None:
        if self.loop_depth >= 2:
            return
        w = self.fresh("w")
        out.append(f"{ind}{w} = 0")
        cond = f"{w} < {self.rng.randint(0, 6)}"
        if self.chance(0.5):
            cond += f" {self.rng.choice(('and', 'or'))} {self.expr('bool', s, 2)}"
            cond = f"{w} < 8 and ({cond})"  # bounded either way
        out.append(f"{ind}while {cond}:")
        out.append(f"{ind}    {w} += 1")  # first, so a continue cannot skip it
        self.loop_depth += 1
        self.block(Scope(s), out, ind + "    ", self.rng.randint(1, 3))
        self.loop_depth -= 1

    def store(self, s: Scope, out: list[str], ind: str) -> None:
        r = self.rng
        arrs = self.arrays(s)
        if not arrs:
            return
        name, dtype, ndim = r.choice(arrs)
        et = elem_type(dtype)
        vt = r.choice(
            {
                "bool": ("bool", "bool", "int"),
                "int": ("int", "int", "bool", "float"),
                "float": ("float", "float", "int"),
            }[et]
        )
        if "store_oob_convert" in self.broken and et == "int":
            vt = "int"
        value = self.expr(vt, s, 1)
        if "store_value_order" in self.broken:
            value = self.leaf(vt, s)  # cannot raise, and has no side effect
        if "store_oob_convert" in self.broken and et == "int":
            value = f"({value}) & 127" if "store_value_order" not in self.broken else "7"
        target = self.subscript(s, name, ndim)
        if (
            et != "bool"
            and vt != "bool"
            and r.random() < 0.3
            and "store_value_order" not in self.broken
            and dtype in PYTHON_DTYPES  # else NumPy's scalar arithmetic (a[i] += 100 wraps)
        ):
            op = r.choice(("+", "-", "*")) if et == "int" else r.choice(("+", "*", "/"))
            out.append(f"{ind}{target} {op}= {value}")
        else:
            out.append(f"{ind}{target} = {value}")

    def new_array(self, s: Scope, out: list[str], ind: str) -> None:
        r = self.rng
        dtype, ndim = r.choice(self.pool) if r.random() < 0.7 else (r.choice(DTYPES), 1)
        name = self.fresh("a")

        def n() -> str:
            if r.random() < 0.7:
                return f"({self.expr('int', s, 2)}) % 5"
            return str(r.randint(-1, 4))

        shape = n() if ndim == 1 else f"({n()}, {n()})"
        src_arrs = [a for a in self.arrays(s) if (a[1], a[2]) == (dtype, ndim)]
        k = r.randrange(7)
        if k == 0 and src_arrs:
            rhs = f"{r.choice(src_arrs)[0]}.copy()"
        elif k == 1 and src_arrs and dtype not in ("bool", "int8", "uint8"):
            fn = "np.sqrt" if dtype.startswith("float") else "np.abs"
            rhs = f"{fn}({r.choice(src_arrs)[0]})"
        elif k == 2:
            rhs = f"np.full({shape}, {self.expr(elem_type(dtype), s, 2)}, {np_dtype(dtype)})"
        elif k == 3:
            dtype, ndim = r.choice(("int64", "float64")), 1
            rhs = self.arange(s, dtype)
        elif k == 4:
            out.append(f"{ind}{name} = np.empty({shape}, {np_dtype(dtype)})")
            self.fill(s, out, ind, name, dtype, ndim)
            s.names[name] = ("arr", dtype, ndim)
            return
        else:
            rhs = f"np.{r.choice(('zeros', 'ones'))}({shape}, {np_dtype(dtype)})"
        out.append(f"{ind}{name} = {rhs}")
        s.names[name] = ("arr", dtype, ndim)

    def arange(self, s: Scope, dtype: str) -> str:
        r = self.rng
        if "arange_edges" in self.broken or r.random() < 0.5:
            lo, hi = r.randint(-4, 4), f"({self.expr('int', s, 2)}) % 7"
            dt = ", np.float64" if dtype == "float64" else ""
            return f"np.arange({lo}, {hi}, {r.choice((1, 2, 3, -1))}{dt})"
        # Edge arguments from a list, not from expressions: np.arange(2**31) would
        # allocate 16 GB in both the reference and the compiled program.
        return f"np.arange({r.choice(ARANGE_EDGES[dtype])})"

    def fill(self, s: Scope, out: list[str], ind: str, name: str, dtype: str, ndim: int) -> None:
        inner = Scope(s)
        if ndim == 1:
            out.append(f"{ind}for k{self.counter} in range(len({name})):")
            idx = f"k{self.counter}"
        else:
            out.append(f"{ind}for k{self.counter} in range({name}.shape[0]):")
            out.append(f"{ind}    for j{self.counter} in range({name}.shape[1]):")
            idx = f"k{self.counter}, j{self.counter}"
            ind += "    "
        inner.names[f"k{self.counter}"] = "int"
        value = self.leaf(elem_type(dtype), inner)
        out.append(f"{ind}    {name}[{idx}] = {value}")
        self.counter += 1

    # -------------------------------------------------------------- functions, programs

    def ret_expr(self, t: Type, s: Scope) -> str | None:
        if isinstance(t, tuple) and t[0] == "tuple":
            items = [self.ret_expr(x, s) for x in t[1]]
            return None if None in items else f"({', '.join(items)},)"  # type: ignore[arg-type]
        if isinstance(t, tuple):
            return "r0" if "r0" in s.all() else None
        return self.expr(t, s)

    def function(self, fn: Fn, size: int, annotate: bool) -> list[str]:
        self.cur = fn
        s = Scope()
        for name, t in fn.params:
            s.names[name] = t
        ann = {"int": "int", "float": "float", "bool": "bool"}
        params = ", ".join(f"{n}: {ann[t]}" if annotate else n for n, t in fn.params)
        ret = f" -> {ann[fn.ret]}" if annotate else ""
        out = [f"def {fn.name}({params}){ret}:"]
        if isinstance(fn.ret, tuple) and fn.ret[0] == "tuple":
            arr = next((x for x in fn.ret[1] if isinstance(x, tuple)), None)
            if arr is not None:
                out.append(
                    f"    r0 = np.zeros({'3' if arr[2] == 1 else '(2, 3)'}, {np_dtype(arr[1])})"
                )
                s.names["r0"] = arr
        if fn.recursive:
            out.append(f"    if {fn.params[0][0]} <= 0:")
            out.append(f"        return {self.expr(fn.ret, s, 1)}")
        self.budget = size
        self.block(s, out, "    ", size)
        if fn.recursive:
            args = ", ".join(
                [f"{fn.params[0][0]} - 1"] + [self.expr(t, s, 2) for _, t in fn.params[1:]]
            )
            out.append(f"    rec = {fn.name}({args})")
            s.names["rec"] = fn.ret
        out.append(f"    return {self.ret_expr(fn.ret, s)}")
        self.cur = None
        return out

    def params(self, n_scalars: int, n_arrays: int) -> list[tuple[str, Type]]:
        out: list[tuple[str, Type]] = []
        for i in range(n_scalars):
            out.append((f"p{i}", self.rng.choice(("int", "int", "float", "bool"))))
        for i in range(n_arrays):
            dtype, ndim = self.rng.choice(self.pool)
            out.append((f"q{i}", ("arr", dtype, ndim)))
        return out

    def program(self, seed: int, index: int) -> Program:
        r = self.rng
        lines = ["import math", "import numpy as np", ""]
        for i in range(r.randint(0, 2)):
            t = r.choice(("int", "float"))
            value = self.const(t)
            lines.append(f"K{i} = {value}")
            self.consts[f"K{i}"] = t
            self.const_values[f"K{i}"] = eval(value, {"math": math})  # noqa: S307
        annotated: set[str] = set()
        for i in range(r.randint(0, 3)):
            recursive = r.random() < 0.15
            n_arr = 0 if recursive else r.choice((0, 1, 1))
            params = self.params(r.randint(1, 3), n_arr)
            if recursive:
                params[0] = ("p0", "int")
            fn = Fn(f"g{i}", params, r.choice(("int", "float", "bool")), recursive)
            annotate = (
                not n_arr
                and r.random() < 0.25
                and not (recursive and "annotated_recursion" in self.broken)
            )
            lines += ["", *self.function(fn, r.randint(1, 6), annotate), ""]
            if annotate:
                annotated.add(fn.name)
            self.fns.append(fn)
        params = self.params(r.randint(1, 3), r.choice((0, 1, 1, 2)))
        items = [r.choice(("int", "float", "bool")) for _ in range(r.randint(1, 3))]
        if r.random() < 0.3:
            items.append(("arr", *r.choice(self.pool)))
        ret: Type = ("tuple", tuple(items)) if len(items) > 1 or r.random() < 0.3 else items[0]
        entry = Fn("f", params, ret)
        lines += ["", *self.function(entry, r.randint(3, 12), False)]
        calls = [tuple(draw_value(r, t) for _, t in params) for _ in range(r.randint(2, 5))]
        return Program(
            seed,
            index,
            "\n".join(lines) + "\n",
            calls,
            [fn.name for fn in self.fns] + ["f"],
            annotated,
        )


def generate(seed: int, index: int, broken: frozenset[str] = KNOWN_BROKEN) -> Program:
    """Program ``index`` of the run with ``seed`` (the same on every machine)."""
    return Gen(random.Random(f"{seed}:{index}"), broken).program(seed, index)


# ------------------------------------------------------------------------ argument values


def draw_value(r: random.Random, t: Type) -> Any:
    """A value of type ``t``: a scalar, or ``("array", dtype, shape, layout, values)``."""
    if t == "bool":
        return r.random() < 0.5
    if t == "int":
        k = r.random()
        return (
            r.choice(EDGE_INTS)
            if k < 0.45
            else r.randint(-20, 20)
            if k < 0.85
            else r.randint(INT64_MIN, INT64_MAX)
        )
    if t == "float":
        k = r.random()
        return (
            r.choice(EDGE_FLOATS)
            if k < 0.5
            else r.randint(-40, 40) / 4
            if k < 0.8
            else r.uniform(-1e6, 1e6)
        )
    _, dtype, ndim = t
    if ndim == 1:
        # 17 and 40: past one SIMD vector of NumPy's min/max loop on any CPU (Ties).
        shape: tuple[int, ...] = (r.choice((0, 1, 2, 3, 4, 5, 6, 9, 12, 17, 40)),)
    else:
        shape = (r.choice((0, 1, 2, 3)), r.choice((1, 2, 3, 4)))
    size = math.prod(shape)
    big = r.random() < 0.1  # a uint64 beyond int64: loading it raises
    values = [element(r, dtype, big) for _ in range(size)]
    return ("array", dtype, shape, r.choice(LAYOUTS), values)


def element(r: random.Random, dtype: str, big: bool) -> Any:
    if dtype == "bool":
        return r.random() < 0.5
    if dtype.startswith("float"):
        return r.choice(EDGE_FLOATS) if r.random() < 0.4 else r.randint(-40, 40) / 4
    bits = int(dtype.lstrip("uint"))
    lo, hi = (0, 2**bits - 1) if dtype[0] == "u" else (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1)
    if dtype == "uint64" and not big:
        hi = INT64_MAX
    k = r.random()
    return (
        r.choice((lo, hi, 0, 1, hi - 1))
        if k < 0.3
        else (r.randint(max(lo, -20), min(hi, 20)) if k < 0.8 else r.randint(lo, hi))
    )


MAKE_ARRAY = '''
def make_array(dtype, shape, layout, values):
    """An argument array: C or Fortran order, every other element of a bigger array
    ("strided"), or a reversed view ("reversed")."""
    import numpy as np
    with np.errstate(all="ignore"):  # 1e300 in a float32 array is inf, as intended
        base = np.array(values, dtype=dtype).reshape(shape)
    if layout == "F":
        return np.asfortranarray(base)
    if layout == "strided":
        big = np.zeros(shape[:-1] + (2 * shape[-1],), dtype=dtype)
        big[..., ::2] = base
        return big[..., ::2]
    if layout == "reversed":
        return np.ascontiguousarray(base[::-1])[::-1]
    return base
'''
_ns: dict[str, Any] = {}
exec(MAKE_ARRAY, _ns)  # one definition, shared by the oracle and every reproducer
make_array = _ns["make_array"]


def build(value: Any) -> Any:
    """The argument a spec from ``draw_value`` stands for (a fresh array each time)."""
    if isinstance(value, tuple) and value and value[0] == "array":
        return make_array(*value[1:])
    return value


def show(value: Any) -> str:
    """A spec from ``draw_value`` as Python source (for reproducers)."""
    if isinstance(value, tuple) and value and value[0] == "array":
        return f"make_array{value[1:]!r}".replace("nan", "math.nan").replace("inf", "math.inf")
    if isinstance(value, float) and not math.isfinite(value):
        return "math.nan" if math.isnan(value) else ("math.inf" if value > 0 else "-math.inf")
    return repr(value)

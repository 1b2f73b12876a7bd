"""Type inference (ember.native.frontend.statements): types of locals and expressions, conversions made
explicit, unification, recursion, calls and captured constants. Inference only: no
lowering, no LLVM."""

from __future__ import annotations

import linecache
import math
from math import sqrt as square_root

import pytest

from ember.diagnostics import EmberError
from ember.native.frontend.statements import infer_unit
from ember.native.ir import nodes as ir
from ember.native.ir.printer import format_expr
from ember.native.options import Options
from ember.native.types import BOOL, FLOAT64, INT64, NONE, Tuple, Type

K = 7
RATE = 0.25
FLAGS = (True, 3)
BIG = 2**70


class FakeJit:
    """What inference needs of a @jit dispatcher (NB's real one is not required here)."""

    __ember_jit__ = True

    def __init__(self, func: object) -> None:
        self.py_func = func
        self.options = Options()


def jit(func: object) -> FakeJit:
    return FakeJit(func)


def unit_of(func: object, *arg_types: Type) -> ir.CompileUnit:
    return infer_unit(func, arg_types, Options())


def root(func: object, *arg_types: Type) -> ir.TypedFunction:
    return unit_of(func, *arg_types).root


def returned(func: object, *arg_types: Type) -> ir.Expr:
    """The value of the last statement, a Return."""
    last = root(func, *arg_types).body[-1]
    assert isinstance(last, ir.Return)
    return last.value


def walk(node: object):
    """Every typed-IR node under ``node`` (statements and expressions)."""
    yield node
    for name in getattr(node, "__slots__", ()):
        value = getattr(node, name)
        items = value if isinstance(value, tuple) else (value,)
        for item in items:
            if hasattr(item, "span") or isinstance(item, ir.TypedFunction):
                yield from walk(item)


def nodes(fn: ir.TypedFunction, kind: type) -> list:
    return [n for stmt in fn.body for n in walk(stmt) if isinstance(n, kind)]


# ------------------------------------------------------------------ locals


def test_locals_unify_int_and_float_to_float():
    def f(n):
        s = 0
        for i in range(n):
            s += i * 0.5
        return s

    fn = root(f, INT64)
    assert dict(fn.locals) == {"i": INT64, "n": INT64, "s": FLOAT64}
    assert fn.return_type == FLOAT64
    first = fn.body[0]
    assert isinstance(first, ir.Assign) and first.value == ir.Const(0.0, FLOAT64, first.value.span)


def test_every_expression_in_a_typed_body_is_typed_consistently():
    def f(a, b):
        c = a + b
        d = c / 2
        e = a // 3
        return (d, e, c > 1)

    fn = root(f, INT64, FLOAT64)
    assert dict(fn.locals) == {"a": INT64, "b": FLOAT64, "c": FLOAT64, "d": FLOAT64, "e": INT64}
    assert fn.return_type == Tuple((FLOAT64, INT64, BOOL))
    for binop in nodes(fn, ir.BinOp):
        assert binop.left.type == binop.right.type


def test_bool_local_widens_to_int_when_assigned_an_int():
    def f(x):
        flag = x > 0
        if x > 10:
            flag = 2
        return flag

    fn = root(f, INT64)
    assert dict(fn.locals)["flag"] == INT64
    casts = nodes(fn, ir.Cast)
    assert [c.type for c in casts] == [INT64]


def test_widened_parameter_arrives_under_another_name_and_is_converted_first():
    def f(x):
        x = x / 2
        return x

    fn = root(f, INT64)
    assert fn.params == (ir.Param("x.in", INT64),)
    assert dict(fn.locals) == {"x": FLOAT64, "x.in": INT64}
    prologue = fn.body[0]
    assert isinstance(prologue, ir.Assign) and prologue.target == "x"
    assert isinstance(prologue.value, ir.Cast) and prologue.value.type == FLOAT64


def test_loop_variable_also_assigned_a_float_uses_a_hidden_int_counter():
    def f(n):
        i = 0.5
        for i in range(n):  # noqa: B007
            pass
        return i

    fn = root(f, INT64)
    loop = fn.body[1]
    assert isinstance(loop, ir.ForRange) and loop.target.startswith("$")
    assert dict(fn.locals)[loop.target] == INT64
    assert isinstance(loop.body[0], ir.Assign) and loop.body[0].target == "i"


def test_annotated_local_takes_its_declared_type():
    def f(n):
        total: float = 0
        for i in range(n):
            total += i
        return total

    assert dict(root(f, INT64).locals)["total"] == FLOAT64


def test_local_annotations_take_python_names_only():
    def f(n):
        total: int64 = 0  # noqa: F821 - ember's name for int is not an annotation
        return total

    with pytest.raises(EmberError, match="annotation int64 is not supported"):
        root(f, INT64)


def test_locals_are_sorted_by_name():
    def f(z):
        b = 1
        a = 2
        return a + b + z

    assert [n for n, _ in root(f, INT64).locals] == ["a", "b", "z"]


# ------------------------------------------------------------- operators


@pytest.mark.parametrize(
    "op, left, right, operand, result",
    [
        ("+", INT64, INT64, INT64, INT64),
        ("+", BOOL, BOOL, INT64, INT64),
        ("-", INT64, FLOAT64, FLOAT64, FLOAT64),
        ("*", BOOL, FLOAT64, FLOAT64, FLOAT64),
        ("/", INT64, INT64, INT64, FLOAT64),
        ("/", BOOL, INT64, INT64, FLOAT64),
        ("/", INT64, FLOAT64, FLOAT64, FLOAT64),
        ("//", INT64, INT64, INT64, INT64),
        ("//", FLOAT64, INT64, FLOAT64, FLOAT64),
        ("%", INT64, INT64, INT64, INT64),
        ("%", INT64, FLOAT64, FLOAT64, FLOAT64),
        ("**", INT64, INT64, INT64, INT64),
        ("**", FLOAT64, INT64, FLOAT64, FLOAT64),
        ("<<", INT64, BOOL, INT64, INT64),
        (">>", INT64, INT64, INT64, INT64),
        ("&", BOOL, BOOL, BOOL, BOOL),
        ("|", BOOL, INT64, INT64, INT64),
        ("^", INT64, INT64, INT64, INT64),
    ],
)
def test_binary_operator_rules(op, left, right, operand, result):
    from ember.native.frontend.operators import binop_types

    assert binop_types(op, left, right) == (operand, result)


def test_power_with_negative_constant_exponent_is_float():
    def f(x):
        return x ** -2

    value = returned(f, INT64)
    assert isinstance(value, ir.BinOp) and value.type == FLOAT64
    assert value.left.type == FLOAT64 and value.right == ir.Const(-2.0, FLOAT64, value.right.span)


NEG_TWO = -2


def _from_source(src: str, **names: object) -> object:
    """``def f(x): return <src>`` with ``names`` as its globals; linecache holds the
    source, which the frontend reads."""
    source = f"def f(x):\n    return {src}\n"
    filename = f"<test-statements-{src}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    ns: dict[str, object] = dict(names)
    exec(compile(source, filename, "exec"), ns)
    return ns["f"]


@pytest.mark.parametrize(
    "src",
    ["x ** ~True", "x ** -(FLAGS[1])", "x ** (1 - 3)", "x ** -(-(-2))",
     "x ** (NEG_TWO * 3 // 2)", "x ** (-2 if True else 1)", "pow(x, ~0)", "x ** (~True & -4)",
     "x ** -(1 << 62)", "x ** (-1 >> 64)", "x ** -K"],
)
def test_power_with_folded_negative_constant_exponent_is_float(src):
    # CPython's int ** int is a float whenever the exponent is negative; a compile-time
    # constant exponent (not only a literal) lets inference give that type.
    value = returned(_from_source(src, FLAGS=FLAGS, NEG_TWO=NEG_TWO, K=K), INT64)
    assert isinstance(value, ir.BinOp) and value.op == "**"
    assert value.type == FLOAT64 and value.left.type == FLOAT64


@pytest.mark.parametrize(
    "src", ["x ** (2 - 1)", "x ** ~(-3)", "x ** (1 // 0)", "x ** (1 << 64)", "x ** -(2 ** 63)",
            "x ** (3 % 0)", "x ** (2 >> -1)", "x ** K"],
)
def test_power_with_constant_exponent_that_is_not_negative_or_raises_stays_int(src):
    # An exponent that raises at run time (a zero divisor, a negative shift, leaving
    # int64) never reaches the power, so its type stays the plain int ** int one.
    assert returned(_from_source(src, K=K), INT64).type == INT64


def test_power_with_constant_non_negative_and_runtime_exponents_stays_int():
    def f(x, n):
        return x**2 + x**n

    value = returned(f, INT64, INT64)
    assert value.type == INT64
    assert [b.type for b in nodes(root(f, INT64, INT64), ir.BinOp) if b.op == "**"] == [
        INT64,
        INT64,
    ]


@pytest.mark.parametrize("op", ["&", "<<", "~"])
def test_bitwise_ops_on_floats_are_rejected(op):
    def f(x):
        return x & 1

    def g(x):
        return x << 1

    def h(x):
        return ~x

    func = {"&": f, "<<": g, "~": h}[op]
    with pytest.raises(EmberError, match="float64"):
        root(func, FLOAT64)


def test_unary_minus_of_bool_is_int_and_literals_fold():
    def f(b):
        return -b, -5, -(2.5), -9223372036854775808

    value = returned(f, BOOL)
    assert isinstance(value, ir.MakeTuple)
    neg, five, half, smallest = value.items
    assert isinstance(neg, ir.UnaryOp) and neg.type == INT64 and isinstance(neg.value, ir.Cast)
    assert (five.value, half.value, smallest.value) == (-5, -2.5, -(2**63))


def test_not_is_a_truth_test():
    def f(x):
        return not x

    value = returned(f, FLOAT64)
    assert isinstance(value, ir.UnaryOp) and value.op == "not" and value.type == BOOL
    assert isinstance(value.value, ir.Truth) and value.value.value.type == FLOAT64


def test_chained_comparison_keeps_int_and_float_operands_and_widens_bools():
    def f(a, b, c):
        return a < b <= c

    value = returned(f, BOOL, INT64, FLOAT64)
    assert isinstance(value, ir.Compare) and value.ops == ("<", "<=")
    assert [o.type for o in value.operands] == [INT64, INT64, FLOAT64]


def test_and_or_value_unifies_and_in_a_condition_tests_truth():
    def f(a, b):
        if a and b:
            return a or b
        return 0.0

    fn = root(f, INT64, FLOAT64)
    test = fn.body[0].test
    assert isinstance(test, ir.BoolOp) and test.type == BOOL
    assert all(isinstance(v, ir.Truth) for v in test.values)
    value = fn.body[0].body[0].value
    assert isinstance(value, ir.BoolOp) and value.type == FLOAT64
    assert [v.type for v in value.values] == [FLOAT64, FLOAT64]


def test_conditional_expression_unifies_branches():
    def f(x):
        return 1 if x > 0 else 2.5

    value = returned(f, INT64)
    assert isinstance(value, ir.IfExp) and value.type == FLOAT64
    assert value.body == ir.Const(1.0, FLOAT64, value.body.span)


def test_conditional_expression_with_a_constant_test_types_only_the_live_branch():
    def f(x):
        return (x / 2 if False else x // 1), (x // 1 if 1 else x / 2), (x if not True else x * 1.5)

    value = returned(f, INT64)
    assert value.type == Tuple((INT64, INT64, FLOAT64))
    assert not any(isinstance(n, ir.IfExp) for n in walk(value))


def test_conditional_expression_with_a_constant_test_ignores_the_dead_branch():
    def f(x):
        return x if True else "never evaluated"  # a str branch would be an error if live

    assert returned(f, INT64).type == INT64


def test_augmented_assignment_is_a_plain_assign_of_a_binop():
    def f(x):
        x //= 2
        return x

    stmt = root(f, INT64).body[0]
    assert isinstance(stmt, ir.Assign) and isinstance(stmt.value, ir.BinOp)
    assert stmt.value.op == "//"


# ------------------------------------------------------------------ tuples


def test_tuple_swap_goes_through_one_temporary():
    def f(a, b):
        a, b = b, a
        return a, b

    fn = root(f, INT64, INT64)
    temp, first, second = fn.body[:3]
    assert isinstance(temp, ir.Assign) and temp.target.startswith("$")
    assert isinstance(temp.value, ir.MakeTuple)
    assert isinstance(first.value, ir.TupleGet) and first.value.index == 0
    assert isinstance(second.value, ir.TupleGet) and second.value.index == 1
    assert fn.return_type == Tuple((INT64, INT64))


def test_nested_unpacking_and_constant_index():
    def f(t):
        (a, b), c = t
        return t[-1] + a + b

    fn = root(f, Tuple((Tuple((INT64, FLOAT64)), INT64)))
    assert dict(fn.locals)["b"] == FLOAT64
    assert fn.return_type == FLOAT64


def test_tuple_items_unify_item_by_item():
    def f(x):
        t = (1, 2)
        if x:
            t = (1.5, 2)
        return t

    assert root(f, BOOL).return_type == Tuple((FLOAT64, INT64))


def test_len_of_tuple_is_a_constant():
    def f(t):
        return len(t)

    assert returned(f, Tuple((INT64, INT64, INT64))) == ir.Const(3, INT64, returned(
        f, Tuple((INT64, INT64, INT64))).span)


# ------------------------------------------------------------ control flow


def test_falling_off_the_end_returns_none():
    def f(x):
        if x:
            print(x)

    fn = root(f, INT64)
    assert fn.return_type == NONE
    assert isinstance(fn.body[-1], ir.Return) and fn.body[-1].value.type == NONE


def test_range_forms_fill_start_and_step():
    def f(a, b):
        s = 0
        for i in range(b):
            s += i
        for i in range(a, b):
            s += i
        for i in range(b, a, -2):
            s += i
        return s

    loops = [s for s in root(f, INT64, INT64).body if isinstance(s, ir.ForRange)]
    texts = [(format_expr(x.start), format_expr(x.step)) for x in loops]
    assert texts == [("0:int64", "1:int64"), ("a:int64", "1:int64"), ("b:int64", "-2:int64")]


def test_code_after_return_and_break_is_dropped():
    def f(n):
        while True:
            n += 1
            if n > 10:
                break
            continue
            n = 0
        return n
        n = 5

    fn = root(f, INT64)
    loop = fn.body[0]
    assert isinstance(loop, ir.While) and isinstance(loop.body[-1], ir.Continue)
    assert isinstance(fn.body[-1], ir.Return) and len(fn.body) == 2


def test_while_true_without_break_needs_no_return_after_it():
    def f(n):
        while True:
            if n > 3:
                return n
            n += 1

    fn = root(f, INT64)
    assert fn.return_type == INT64 and len(fn.body) == 1


def test_variable_assigned_on_every_path_is_defined():
    def f(x):
        if x > 0:
            y = 1
        elif x < 0:
            y = 2
        else:
            return 0
        return y

    assert root(f, INT64).return_type == INT64


def test_loop_else_and_break_state_define_variables():
    def f(n):
        for i in range(n):
            if i == 3:
                found = i
                break
        else:
            found = -1
        return found

    assert root(f, INT64).return_type == INT64


# ----------------------------------------------------------- calls, math


def test_math_functions_and_constants_by_any_name():
    def f(x):
        return math.sqrt(x) + square_root(2) + math.pi + math.floor(x)

    fn = root(f, INT64)
    calls = nodes(fn, ir.Call)
    assert [c.func for c in calls] == ["math.sqrt", "math.sqrt"]
    assert all(c.args[0].type == FLOAT64 for c in calls)
    assert any(isinstance(n, ir.Const) and n.value == math.pi for n in nodes(fn, ir.Const))
    assert fn.captured == ()  # math is not a user's global


def test_floor_of_a_float_is_an_int_and_of_an_int_is_the_int():
    def f(x, n):
        return math.floor(x), math.floor(n), math.isnan(x)

    value = returned(f, FLOAT64, INT64)
    assert value.type == Tuple((INT64, INT64, BOOL))
    assert isinstance(value.items[0], ir.Call) and isinstance(value.items[1], ir.Name)


@pytest.mark.parametrize(
    "arg_types, expected",
    [((INT64, INT64), INT64), ((INT64, FLOAT64), FLOAT64), ((BOOL, BOOL), BOOL)],
)
def test_min_max_unify_their_arguments(arg_types, expected):
    def f(a, b):
        return max(a, b) + 0 * min(a, b, a)

    fn = root(f, *arg_types)
    maxes = [c for c in nodes(fn, ir.Call) if c.func == "max"]
    assert maxes[0].type == expected
    assert all(a.type == expected for a in maxes[0].args)


def test_max_over_a_tuple_takes_its_items():
    def f(t):
        return max(t)

    value = returned(f, Tuple((INT64, FLOAT64)))
    assert isinstance(value, ir.Call) and value.func == "max" and value.type == FLOAT64
    assert [type(a) for a in value.args] == [ir.Cast, ir.TupleGet]


@pytest.mark.parametrize(
    "arg, expected_node, expected_type",
    [(FLOAT64, ir.Call, INT64), (INT64, ir.Name, INT64), (BOOL, ir.Cast, INT64)],
)
def test_round_and_int_of_each_type(arg, expected_node, expected_type):
    def f(x):
        return round(x)

    def g(x):
        return int(x)

    for func in (f, g):
        value = returned(func, arg)
        assert isinstance(value, expected_node) and value.type == expected_type


def test_round_with_digits_and_float_and_bool_conversions():
    def f(x, n):
        return round(x, 2), float(n), bool(x), float("inf"), abs(n)

    value = returned(f, FLOAT64, INT64)
    assert value.type == Tuple((FLOAT64, FLOAT64, BOOL, FLOAT64, INT64))
    assert isinstance(value.items[1], ir.Cast) and isinstance(value.items[2], ir.Truth)
    assert value.items[3].value == math.inf


def test_print_arguments_and_sep_end_keywords():
    def f(x):
        print("x =", x)
        print(x, x, sep=", ", end="")

    body = root(f, FLOAT64).body
    plain, custom = body[0].value, body[1].value
    assert plain.func == "print" and [a.type.__class__.__name__ for a in plain.args] == [
        "Str", "Float64"]
    assert custom.func == "print.sepend"
    assert [a.value for a in custom.args[:2]] == [", ", ""]


def test_calls_to_jit_functions_specialize_them_in_the_unit():
    @jit
    def helper(a, b):
        return a * b

    def f(x):
        return helper(x, 2) + helper(x, 0.5)

    unit = unit_of(f, INT64)
    assert [fn.qualname.rsplit(".", 1)[-1] for fn in unit.functions] == ["f", "helper", "helper"]
    assert [fn.arg_types for fn in unit.functions[1:]] == [(INT64, INT64), (INT64, FLOAT64)]
    calls = nodes(unit.root, ir.CallJit)
    assert [c.symbol for c in calls] == [fn.symbol for fn in unit.functions[1:]]
    assert unit.root.return_type == FLOAT64
    assert [s[1].rsplit(".", 1)[-1] for s in unit.sources] == ["f", "helper", "helper"]


def test_two_closures_of_one_def_get_distinct_symbols():
    def make(k):
        @jit
        def scale(x):
            return x * k

        return scale

    twice, thrice = make(2), make(3)

    def f(x):
        return twice(x) + thrice(x)

    unit = unit_of(f, INT64)
    symbols = [fn.symbol for fn in unit.functions]
    assert len(set(symbols)) == 3
    assert [c.symbol for c in nodes(unit.root, ir.CallJit)] == symbols[1:]
    assert [fn.captured for fn in unit.functions[1:]] == [(("k", "2"),), (("k", "3"),)]


def test_jit_call_fills_constant_defaults():
    @jit
    def scaled(x, factor=3):
        return x * factor

    def f(x):
        return scaled(x)

    unit = unit_of(f, INT64)
    assert unit.functions[1].arg_types == (INT64, INT64)


# -------------------------------------------------------------- recursion


@jit
def fib(n):
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)


@jit
def halve_until_small(x):
    if x < 1:
        return 0
    return halve_until_small(x / 2) + 0.5


@jit
def is_even(n):
    if n == 0:
        return True
    return is_odd(n - 1)


@jit
def is_odd(n):
    if n == 0:
        return False
    return is_even(n - 1)


def test_recursion_return_type_from_the_base_case():
    unit = unit_of(fib.py_func, INT64)
    assert len(unit.functions) == 1 and unit.root.return_type == INT64
    assert [c.symbol for c in nodes(unit.root, ir.CallJit)] == [unit.root.symbol] * 2


def test_recursion_return_type_widens_over_rounds():
    unit = unit_of(halve_until_small.py_func, INT64)
    assert [fn.arg_types for fn in unit.functions] == [(INT64,), (FLOAT64,)]
    assert [fn.return_type for fn in unit.functions] == [FLOAT64, FLOAT64]


def test_mutual_recursion():
    unit = unit_of(is_even.py_func, INT64)
    assert [fn.name for fn in unit.functions] == ["is_even", "is_odd"]
    assert all(fn.return_type == BOOL for fn in unit.functions)


@jit
def shifted_recursion(n):
    if n <= 0:
        return True
    rec = shifted_recursion(n - 1)
    return (rec if n else False) >> 1


def test_recursion_read_through_a_conditional_expression_converts_its_placeholder():
    # While the recursive call's type is unknown, the conditional expression stands in
    # with a typeless constant of the other branch's type (bool); `>> 1` converts it to
    # int, which crashed on the missing value (fuzz seed 11, program 2085).
    unit = unit_of(shifted_recursion.py_func, INT64)
    assert unit.root.return_type == INT64


def test_recursion_without_a_base_case_is_an_error():
    @jit
    def forever(n):
        return forever(n + 1)

    with pytest.raises(EmberError, match="cannot find the return type of recursive function"):
        unit_of(forever.py_func, INT64)


# ---------------------------------------------------- globals and closures


def test_module_constants_are_folded_and_recorded():
    def f(x):
        return x * K + RATE + FLAGS[1]

    fn = root(f, INT64)
    assert fn.captured == (("FLAGS", "(True, 3)"), ("K", "7"), ("RATE", "0.25"))
    assert fn.return_type == FLOAT64


def test_closure_constants_are_read_like_globals():
    scale = 3

    def f(x):
        return x * scale

    fn = root(f, INT64)
    assert fn.captured == (("scale", "3"),)
    assert returned(f, INT64).right == ir.Const(3, INT64, returned(f, INT64).right.span)


def test_global_too_big_for_int64_is_an_error():
    def f(x):
        return x + BIG

    with pytest.raises(EmberError, match="does not fit in int64"):
        root(f, INT64)


def test_symbols_are_mangled_from_module_qualname_and_types():
    from ember.native.types import mangle

    def f(x):
        return x

    fn = root(f, FLOAT64)
    assert fn.symbol == mangle(f.__module__, f.__qualname__, (FLOAT64,))
    assert fn.module == f.__module__ and fn.name == "f"


def test_internal_errors_become_diagnostics_naming_the_function(monkeypatch):
    from ember.native.frontend import statements as infer

    def f(x):
        return x

    def boom(*args: object) -> None:
        raise KeyError("oops")

    monkeypatch.setattr(infer.FunctionTyper, "_one_pass", boom)
    with pytest.raises(EmberError) as info:
        root(f, INT64)
    text = str(info.value)
    assert "internal error in ember while compiling" in text and ".f'" in text
    assert "please report it" in text


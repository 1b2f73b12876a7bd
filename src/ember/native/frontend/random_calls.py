"""Typing of ``random.*`` and ``np.random.*`` calls (by identity of the function the call
names) → a generator primitive (:class:`Call` of ``random.random``, ``random.seed``,
``random.gauss``, ``np.random.random``, ``np.random.seed``, ``np.random.gauss`` ...,
lowered by codegen/random.py) or a call of a helper of frontend/random_library.py::

    random.random()          Call("random.random", ()): float64
    random.randint(1, 6)     CallJit(randint, (1, 6)): int64
    np.random.normal(0, 1)   CallJit(np_normal, ...): float64

Scalar draws only (no ``size=``); arguments as Python's: ints where the reference needs
ints, numbers where it takes floats. ``random`` and NumPy are looked up in ``sys.modules``.
"""

from __future__ import annotations

import ast
import sys
from typing import TYPE_CHECKING, Any

from ember.native.frontend import random_library as lib
from ember.native.frontend.builtins import cast
from ember.native.frontend.operators import RuleError
from ember.native.frontend.unknown import UNKNOWN
from ember.native.ir.nodes import Call, CallJit, Expr
from ember.native.types import BOOL, FLOAT64, INT64, NONE, Array, List, Type

if TYPE_CHECKING:
    from ember.native.frontend.expressions import ExprTyper

# name → (parameter names, defaults, kind of each parameter: "i" int, "f" number, "x" list/array)
_PY: dict[str, tuple[tuple[str, ...], tuple[object, ...], str]] = {
    "random": ((), (), ""), "seed": (("a",), (), "i"), "uniform": (("a", "b"), (), "ff"),
    "randint": (("a", "b"), (), "ii"), "randrange": (("start", "stop", "step"), (None, 1), "iii"),
    "gauss": (("mu", "sigma"), (0.0, 1.0), "ff"), "shuffle": (("x",), (), "x"),
}
_NP: dict[str, tuple[tuple[str, ...], tuple[object, ...], str]] = {
    "random": ((), (), ""), "random_sample": ((), (), ""), "rand": ((), (), ""),
    "randn": ((), (), ""), "standard_normal": ((), (), ""), "seed": (("seed",), (), "i"),
    "uniform": (("low", "high"), (0.0, 1.0), "ff"), "normal": (("loc", "scale"), (0.0, 1.0), "ff"),
    "randint": (("low", "high"), (None,), "ii"),
}


def function_name(value: object) -> str | None:
    """``"random.<f>"`` / ``"np.random.<f>"`` for the functions these rules compile, or
    the primitive's name for a helper's marker; else None."""
    try:
        prim = lib.PRIMITIVES.get(value)  # type: ignore[call-overload]
    except TypeError:  # an unhashable value names no function
        return None
    if prim is not None:
        return "prim:" + prim
    rnd = sys.modules.get("random")
    if rnd is not None:
        for name in _PY:
            if value is getattr(rnd, name, None):
                return "random." + name
    np_random = getattr(sys.modules.get("numpy"), "random", None)
    if np_random is not None:
        for name in _NP:
            if value is getattr(np_random, name, None):
                return "np.random." + name
    return None


def call(typer: ExprTyper, name: str, node: ast.Call) -> Expr:
    """Type the call ``node`` of the function named ``name`` (see :func:`function_name`)."""
    span = typer.span(node)
    if name.startswith("prim:"):
        args = [typer.expr(a) for a in node.args]
        ret = INT64 if name.endswith(("randbelow", "bounded")) else FLOAT64
        return Call(name[5:], tuple(args), ret, span)
    module, _, short = name.rpartition(".")
    table = _NP if module == "np.random" else _PY
    params, defaults, kinds = table[short]
    args = _bind(name, params, defaults, node, typer)
    if any(a is not None and a.type == UNKNOWN for a in args):
        return typer.unknown(node)
    typed = [_convert(name, p, k, a) for p, k, a in zip(params, kinds, args, strict=True)]
    if module == "random":
        return _python(typer, short, typed, node)
    return _numpy(typer, short, typed, node)


def _python(typer: ExprTyper, short: str, args: list[Expr | None], node: ast.Call) -> Expr:
    span = typer.span(node)
    if short == "random":
        return Call("random.random", (), FLOAT64, span)
    if short in ("seed", "gauss"):
        return Call("random." + short, tuple(a for a in args if a is not None),
                    NONE if short == "seed" else FLOAT64, span)
    if short == "randrange" and args[1] is None:
        return _helper(typer, lib.randrange_stop, [args[0]], node)
    helpers = {"uniform": lib.uniform, "randint": lib.randint, "randrange": lib.randrange,
               "shuffle": lib.shuffle}
    return _helper(typer, helpers[short], args, node)


def _numpy(typer: ExprTyper, short: str, args: list[Expr | None], node: ast.Call) -> Expr:
    span = typer.span(node)
    if short in ("random", "random_sample", "rand"):
        return Call("np.random.random", (), FLOAT64, span)
    if short in ("randn", "standard_normal"):
        return Call("np.random.gauss", (), FLOAT64, span)
    if short == "seed":
        return Call("np.random.seed", tuple(a for a in args if a is not None), NONE, span)
    if short == "normal":
        return Call("np.random.normal", tuple(a for a in args if a is not None), FLOAT64, span)
    if short == "randint":
        if args[1] is None:
            return _helper(typer, lib.np_randint_high, [args[0]], node)
        return _helper(typer, lib.np_randint, args, node)
    return _helper(typer, lib.np_uniform, args, node)


def _helper(typer: ExprTyper, func: Any, args: list[Expr | None], node: ast.AST) -> Expr:
    real = [a for a in args if a is not None]
    symbol, ret = typer.unit.specialize(func, tuple(a.type for a in real))
    if ret == UNKNOWN:
        return typer.unknown(node)
    return CallJit(symbol, tuple(real), ret, typer.span(node))


def _bind(name: str, params: tuple[str, ...], defaults: tuple[object, ...], node: ast.Call,
          typer: ExprTyper) -> list[Expr | None]:
    """One typed argument per parameter (None where a default of None applies)."""
    if len(node.args) > len(params):
        raise RuleError(f"{name}() takes at most {len(params)} arguments "
                        f"({len(node.args)} given)", f"call it as {name}({', '.join(params)})")
    got: dict[str, ast.expr] = dict(zip(params, node.args, strict=False))
    for k in node.keywords:
        if k.arg not in params:
            hint = ("draw one value per call in a loop (compiled draws are scalars)"
                    if k.arg == "size" else f"its parameters are {', '.join(params) or 'none'}")
            raise RuleError(f"{name}() got an unexpected keyword argument '{k.arg}' in "
                            "compiled code", hint)
        if k.arg in got:
            raise RuleError(f"{name}() got multiple values for argument '{k.arg}'")
        got[k.arg] = k.value
    first_default = len(params) - len(defaults)
    out: list[Expr | None] = []
    for i, p in enumerate(params):
        if p in got:
            out.append(typer.expr(got[p]))
        elif i >= first_default:
            d = defaults[i - first_default]
            out.append(None if d is None else typer.expr(ast.copy_location(ast.Constant(d), node)))
        else:
            hint = (f"seed with an int: {name}(n) (unseeded, compiled code's generator "
                    "starts from os.urandom)" if p in ("a", "seed")
                    else f"call it as {name}({', '.join(params)})")
            raise RuleError(f"{name}() missing required argument '{p}'", hint)
    return out


def _convert(name: str, param: str, kind: str, arg: Expr | None) -> Expr | None:
    if arg is None:
        return None
    t: Type = arg.type
    if kind == "x":
        if isinstance(t, List) or (isinstance(t, Array) and t.ndim == 1):
            return arg
        raise RuleError(f"{name}() of a {t} is not supported in compiled code",
                        "shuffle a list or a 1-d array")
    if kind == "i":
        if t in (INT64, BOOL):
            return cast(arg, INT64)
        raise RuleError(f"{name}() argument '{param}' must be an int in compiled code, not {t}",
                        f"pass int({param})")
    if t in (INT64, BOOL, FLOAT64):
        return cast(arg, FLOAT64)
    raise RuleError(f"{name}() argument '{param}' must be a number, not {t}",
                    "pass a float (compiled draws are scalars)")

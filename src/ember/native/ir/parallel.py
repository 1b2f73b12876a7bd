"""The typed IR of a parallel loop: what frontend/parallel.py makes of a
``for i in prange(...)`` loop in a ``parallel=True`` function.

    for i in prange(n):            ParallelFor f$prange1 over (0, n, 1)
        s += a[i]                      captures (a)  partials ($s.p)
                                       combine: s = s + $s.p
    (outlined)                     def f$prange1($lo, $hi, $start, $step, a) -> (float64,):
                                       s = 0.0
                                       for $k in range($lo, $hi, 1):
                                           i = $start + $k * $step
                                           s = s + a[i]
                                       return (s,)

The iterations ``[0, count)`` are split into chunks by codegen/parallel.py; each chunk
calls the outlined function (a specialization of the unit like any other) and its
reduction partials are combined in chunk order, which makes the result deterministic.
"""

from __future__ import annotations

from ember.diagnostics import Span
from ember.native.ir.nodes import Expr, Node, Stmt
from ember.native.types import Type
from ember.support.record import record


@record
class ParallelFor(Node):
    """Run the outlined body ``symbol`` over the iterations of ``range(start, stop,
    step)``, split into chunks. Its parameters are ``($lo, $hi, $start, $step,
    *captures)``; it returns ``result`` (a tuple of the reductions' partials, or none).
    Chunk by chunk, in order, each partial is stored in the local ``partials[k]`` and
    ``combine`` runs (``s = s + $s.p``, ``m = min(m, $m.p)``)."""

    symbol: str
    start: Expr
    stop: Expr
    step: Expr
    captures: tuple[Expr, ...]
    partials: tuple[str, ...]
    combine: tuple[Stmt, ...]
    result: Type
    span: Span

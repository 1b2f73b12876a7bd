"""Recursion groups: the strongly connected components of a unit's call graph. A call
inside one can recurse, so codegen guards it with the depth and stack checks
(:mod:`ember.native.codegen.calls`). Pure facts over typed IR: no llvmlite."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from ember.native.ir import nodes as T


def recursive_calls(unit: T.CompileUnit) -> dict[str, frozenset[str]]:
    """For each function, the callees it calls *within its strongly connected
    component* of the unit's call graph (self-calls included): the calls that can
    recurse, and so are guarded by the depth parameter (:func:`ember.native.codegen.calls.call_jit`).

    >>> from ember.native.frontend.statements import infer_unit
    >>> from ember.native.options import Options
    >>> from ember.native.types import INT64
    >>> def fib(n):
    ...     return n if n < 2 else fib(n - 1) + fib(n - 2)
    >>> recursive_calls(infer_unit(fib, (INT64,), Options()))
    {'_ember_fib_...': frozenset({'_ember_fib_...'})}
    """
    graph = {f.symbol: _callees(f.body) for f in unit.functions}
    component = components(graph)
    return {
        caller: frozenset(c for c in callees if c in component
                          and component[c] == component[caller])
        for caller, callees in graph.items()
    }


def components(graph: Mapping[str, Iterable[str]]) -> dict[str, int]:
    """The strongly connected component of each node of ``graph`` (node → its
    successors; successors that are not nodes are ignored), as a number shared by the
    members of one component.

    >>> c = components({"a": ["b"], "b": ["a"], "c": ["a"]})
    >>> c["a"] == c["b"] != c["c"]
    True
    """
    # Tarjan's algorithm, iterative (a unit is small, but recursion in Python is capped).
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    component: dict[str, int] = {}
    for start in graph:
        if start in index:
            continue
        work: list[tuple[str, list[str]]] = [(start, sorted(graph[start]))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, todo = work[-1]
            if todo:
                nxt = todo.pop()
                if nxt not in graph:
                    continue
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, sorted(graph[nxt])))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component[member] = index[node]
                    if member == node:
                        break
    return component


def _callees(node: object) -> set[str]:
    """Symbols of every :class:`T.CallJit` in a typed IR tree (array nodes included)."""
    return {n.symbol for n in T.nodes(node) if isinstance(n, T.CallJit)}

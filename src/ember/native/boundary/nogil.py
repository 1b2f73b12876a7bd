"""``@jit(nogil=True)``: the machine code runs with the GIL released.

Input → output: a lowered LLVM module and its root function → the same module where
(1) every call from the root's body into Python's C API (and NumPy's, through its
table) holds the GIL for that one call, and (2) the entry (boundary/abi.py) releases
the GIL around the root call::

    entry:   unbox (GIL held) → ts = PyEval_SaveThread() → rc = @root(...)
             → PyEval_RestoreThread(ts) → box (GIL held)
    body:    ... %g = PyGILState_Ensure()  call @PyErr_SetString(...)
                 PyGILState_Release(%g) ...

Loops over numbers and arrays make no C API calls, so they run in parallel with other
Python threads; raising, allocating a NumPy array, printing or touching a list take the
GIL back for exactly those calls (``PyGILState_Ensure`` finds this thread's own thread
state, so an exception set there is the one the entry returns). Each call is made
whole under the GIL; what the body holds across calls is its own (new references,
native copies of list arguments, buffers the entry pinned), never a borrowed reference
another thread could free. Wrapping is conservative: any call through a function pointer
(NumPy's C API table) is wrapped too; calls of compiled code, libm, BLAS, malloc and
LLVM intrinsics are not.
"""

from __future__ import annotations

from llvmlite import ir

from ember.native.boundary.capi import extern_function
from ember.native.boundary.llvm import I32, PTR, VOID

#: Functions that need no GIL although their names look like the C API's: the GIL
#: calls themselves.
_GIL_FUNCTIONS = frozenset({"PyGILState_Ensure", "PyGILState_Release",
                            "PyEval_SaveThread", "PyEval_RestoreThread"})


def save_thread(builder: ir.IRBuilder) -> ir.Value:
    """``PyEval_SaveThread()``: release the GIL; returns this thread's state."""
    return builder.call(extern_function(builder.module, "PyEval_SaveThread", PTR, []), [])


def restore_thread(builder: ir.IRBuilder, tstate: ir.Value) -> None:
    """``PyEval_RestoreThread(tstate)``: take the GIL back (blocks until it is free)."""
    builder.call(extern_function(builder.module, "PyEval_RestoreThread", VOID, [PTR]), [tstate])


def needs_gil(callee: object) -> bool:
    """A call target that touches Python objects: a declared ``Py*``/``_Py*`` function, or
    any function pointer (NumPy's C API table is reached that way). Defined functions of
    the module are not: their own calls are looked at instead."""
    if isinstance(callee, ir.Function):
        if callee.blocks:  # defined here: compiled code (or a helper walked separately)
            return False
        name = callee.name
        return name.startswith(("Py", "_Py")) and name not in _GIL_FUNCTIONS
    return not isinstance(callee, ir.InlineAsm)  # an indirect call


def reachable(root: ir.Function) -> list[ir.Function]:
    """The module's defined functions the root can call, the root first."""
    seen: dict[str, ir.Function] = {root.name: root}
    todo = [root]
    while todo:
        fn = todo.pop()
        for block in fn.blocks:
            for instr in block.instructions:
                callee = getattr(instr, "callee", None)
                if isinstance(instr, ir.CallInstr) and isinstance(callee, ir.Function) \
                        and callee.blocks and callee.name not in seen:
                    seen[callee.name] = callee
                    todo.append(callee)
    return list(seen.values())


def hold_gil_for_python_calls(root: ir.Function) -> int:
    """Wrap each C API call reachable from ``root`` in ``PyGILState_Ensure`` /
    ``PyGILState_Release``; returns how many calls were wrapped (tests read it)."""
    module = root.module
    ensure = extern_function(module, "PyGILState_Ensure", I32, [])
    release = extern_function(module, "PyGILState_Release", VOID, [I32])
    wrapped = 0
    for fn in reachable(root):
        for block in fn.blocks:
            for instr in list(block.instructions):
                if not isinstance(instr, ir.CallInstr) or not needs_gil(instr.callee):
                    continue
                b = ir.IRBuilder(block)
                b.position_before(instr)
                state = b.call(ensure, [])
                b.position_after(instr)
                b.call(release, [state])
                wrapped += 1
    return wrapped

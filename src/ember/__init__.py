"""ember: a compiler toolchain for Python.

Two layers share one idea, *compile once, validate cheaply, never compile twice*:

- the bytecode layer (:mod:`ember.pyc`) builds, checks and inspects ``__pycache__``;
- the native layer (:mod:`ember.native`) compiles typed numeric Python to machine code.

Importing ember is cheap: the compiler (llvmlite, numpy) loads only when something
is compiled.

>>> from ember import jit
>>> @jit
... def add(a: int, b: int) -> int:
...     return a + b
>>> add(2, 3)
5
"""

from __future__ import annotations

__all__ = ["jit", "njit", "prange", "set_num_threads", "get_num_threads", "__version__"]

# typing costs ~2 ms at start-up; this is how type checkers still see `jit`.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from ember.native.prange import prange
    from ember.native.runtime.dispatch import jit, njit
    from ember.native.runtime.threads import get_num_threads, set_num_threads


def __getattr__(name: str) -> object:
    # Lazy so that `import ember` stays a few hundred microseconds.
    if name in ("jit", "njit"):  # njit: Numba's name for the same decorator
        from ember.native.runtime.dispatch import jit

        return jit
    if name == "prange":
        from ember.native.prange import prange

        return prange
    if name in ("set_num_threads", "get_num_threads"):
        from ember.native.runtime import threads

        return getattr(threads, name)
    if name == "__version__":
        from ember._version import __version__

        return __version__
    raise AttributeError(f"module 'ember' has no attribute {name!r}")

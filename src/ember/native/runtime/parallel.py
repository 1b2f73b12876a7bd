"""The process's thread pool for parallel loops (codegen/pool.py), compiled on first
use. Compiled code finds it through this module's ``POOL_RUN`` attribute (an address;
codegen/parallel.py reads it once per loaded module), so JIT code, native-cache entries
and AOT extensions all share one pool.

>>> from ember.native.runtime import parallel
>>> isinstance(parallel.POOL_RUN, int)
True
"""

from __future__ import annotations

import _thread
from typing import Any

_POOL: list[Any] = []  # [JitLibrary, run address, setter], kept alive for the process
# Two threads' first parallel loops may ask at once (building can release the GIL); a
# second pool would unload the first's code under the modules that hold its address.
_BUILDING = _thread.allocate_lock()


def pool_address() -> int:
    """The address of ``ember_pool_run``, building the pool the first time."""
    with _BUILDING:
        if not _POOL:
            _build()
        return int(_POOL[1])


def _build() -> None:
    import ctypes  # only once per process, when the first parallel loop runs

    from ember.native.backend import engine
    from ember.native.codegen.pool import EXPORTS, pool_module
    from ember.native.runtime import threads

    module = engine.optimize(str(pool_module()), "ember.pool")
    library = engine.jit_object(engine.emit_object(module), EXPORTS, "ember.pool")
    setter = ctypes.CFUNCTYPE(None, ctypes.c_int64)(library.address("ember_pool_set_threads"))
    setter(threads.get_num_threads())
    threads.on_change(setter)
    _POOL[:] = [library, library.address("ember_pool_run"), setter]


def __getattr__(name: str) -> object:
    # Lazy: importing this module (or ember) must not compile anything.
    if name == "POOL_RUN":
        return pool_address()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

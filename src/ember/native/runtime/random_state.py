"""The process's generator states for compiled ``random`` and ``np.random`` calls: two
MT19937 states (codegen/mt19937.py has the layout) in one buffer whose address compiled
code reads once (``ADDRESS``). Each is seeded from ``os.urandom`` at import, as CPython
and NumPy seed theirs; ``random.seed(n)`` / ``np.random.seed(n)`` in compiled code then
give the interpreter's streams for the same seed. The states are ember's own: seeding
or drawing in the interpreter does not move them (nor they the interpreter's).
"""

from __future__ import annotations

import ctypes
import os
import random
import struct

_WORDS = 624
_STATE_BYTES = 2512  # 624 words, pos, has_gauss, gauss (codegen/mt19937.py)

_buffer = (ctypes.c_uint8 * (2 * _STATE_BYTES))()
ADDRESS: int = ctypes.addressof(_buffer)


def _fill(offset: int, words: tuple[int, ...], pos: int) -> None:
    struct.pack_into(f"<{_WORDS}I", _buffer, offset, *words)
    struct.pack_into("<iid", _buffer, offset + 4 * _WORDS, pos, 0, 0.0)


def _fresh() -> tuple[tuple[int, ...], int]:
    state = random.Random(int.from_bytes(os.urandom(32), "little")).getstate()[1]
    return state[:_WORDS], state[_WORDS]


_fill(0, *_fresh())
_fill(_STATE_BYTES, *_fresh())


def python_state() -> tuple[tuple[int, ...], int]:
    """The compiled ``random`` state as (624 words, index): for tests and debugging."""
    words = struct.unpack_from(f"<{_WORDS}I", _buffer, 0)
    return words, struct.unpack_from("<i", _buffer, 4 * _WORDS)[0]

"""Warnings that point at the user's line, not at ember's machinery.

>>> def ember_helper():  # a frame inside ember would be skipped; this one is not
...     return user_stacklevel()
>>> ember_helper() >= 1
True
"""

from __future__ import annotations

import sys

# ember's own package folder: every frame whose file lies under it is machinery.
EMBER_DIR = __file__[: -len("support/warnings.py")]


def user_stacklevel() -> int:
    """The ``stacklevel`` for a warning raised in the caller of this function that makes
    it point at the user's line (the first frame outside ember): the call or the
    decoration that compiled, whichever path (eager, first call, a later entry) led here."""
    frame, level = sys._getframe(1), 1
    while frame.f_back is not None and frame.f_code.co_filename.startswith(EMBER_DIR):
        frame, level = frame.f_back, level + 1
    return level

"""Numba's ``@jit``/``@njit`` keywords → ember's :class:`Options`, so that code written
for Numba decorates unchanged (``import ember as numba``).

    >>> options_from({"nopython": True, "nogil": True, "cache": True})
    Options(fastmath=False, boundscheck=True, fallback=False, cache=True, nogil=True, parallel=False, any_layout=False)

Each keyword is one of three kinds:

- ember's own option (:data:`~ember.native.options.FIELDS`): taken as it is;
- a Numba option with ember's meaning fixed (``nopython=True``, ``error_model='python'``,
  ``boundscheck=None``): accepted silently; the other values warn once, saying what
  ember does instead;
- a Numba option ember does not have (:data:`NUMBA_ONLY`): one
  :class:`EmberCompatibilityWarning` naming it and what ember does.

Any other name is a typo: TypeError with a did-you-mean hint.
"""

from __future__ import annotations

from ember.native.options import FIELDS, Options

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


class EmberCompatibilityWarning(UserWarning):
    """A Numba option or value that ember accepts but does not act on as Numba does."""


#: Numba's other ``jit`` options → what ember does instead (the warning's text).
NUMBA_ONLY: dict[str, str] = {
    "locals": "ember infers every local's type from its assignments",
    "forceobj": "ember has no object mode; @jit(fallback=True) runs a function that "
                "cannot compile as plain Python",
    "looplift": "ember has no object mode to lift loops out of",
    "inline": "ember leaves inlining to LLVM's optimiser",
    "target": "ember compiles for this machine's CPU only",
    "_target": "ember compiles for this machine's CPU only",
    "target_backend": "ember compiles for this machine's CPU only",
    "debug": "use f.inspect_types() / inspect_llvm() or `ember explain` to see the code",
    "no_rewrites": "ember has no rewrite passes to turn off",
    "no_cpython_wrapper": "ember always makes the CPython entry",
    "no_cfunc_wrapper": "ember makes no C callback wrapper",
    "pipeline_class": "ember has one compiler pipeline",
    "_nrt": "ember manages memory with NumPy's and CPython's reference counts",
    "writable_args": "ember takes arrays as they are passed",
    "opt": "ember always optimises at O3",
    "_dbg_optnone": "ember always optimises at O3",
    "_dbg_extend_lifetimes": "ember has no debug lifetimes",
}  # fmt: skip


def _warn(message: str) -> None:
    import warnings  # only when there is something to say

    from ember.support.warnings import user_stacklevel

    warnings.warn(f"ember: {message}", EmberCompatibilityWarning, stacklevel=user_stacklevel())


def _numba_values(given: dict[str, Any]) -> list[str]:
    """Take Numba's options with a fixed meaning in ember out of ``given``; the
    messages for values ember treats differently."""
    notes: list[str] = []
    if "nopython" in given and not given.pop("nopython"):
        notes.append("nopython=False: ember has no object mode; it compiles in nopython "
                     "mode (fallback=True runs a function that cannot compile as Python)")
    if "error_model" in given:
        model = given.pop("error_model")
        if model not in ("python", "numpy"):
            raise ValueError(f"error_model must be 'python' or 'numpy', not {model!r}")
        if model == "numpy":
            notes.append("error_model='numpy' is not supported: division by zero raises "
                         "ZeroDivisionError as in Python (error_model='python')")
    if "boundscheck" in given and given["boundscheck"] is None:  # Numba's "the default"
        del given["boundscheck"]
    fm = given.get("fastmath")
    if fm is not None and not isinstance(fm, bool):  # Numba's set of LLVM flag names
        given["fastmath"] = bool(fm)
        if fm:
            notes.append(f"fastmath={fm!r}: ember turns on all fast-math flags, not a "
                         "chosen set")
    return notes


def options_from(given: dict[str, Any]) -> Options:
    """``@jit(**given)`` → :class:`Options`, warning about Numba's options ember does not
    act on; TypeError for a name that is no option at all."""
    given = dict(given)
    unknown = sorted(k for k in given if k not in FIELDS and k not in NUMBA_ONLY
                     and k not in ("nopython", "error_model"))
    if unknown:
        raise TypeError(_unknown_message(unknown))
    notes = _numba_values(given)
    for name in [k for k in given if k in NUMBA_ONLY and k not in FIELDS]:
        given.pop(name)
        notes.append(f"the Numba option {name}= is ignored: {NUMBA_ONLY[name]}")
    if notes:
        _warn("; ".join(notes))
    return Options(**given)


def _unknown_message(unknown: list[str]) -> str:
    import difflib  # only on this error path

    known = [*FIELDS, "signatures", "nopython", "error_model", *NUMBA_ONLY]
    hints = []
    for name in unknown:
        close = difflib.get_close_matches(name, known, n=1)
        if close:
            hints.append(f"{name!r}: did you mean {close[0]!r}?")
    hint = f" ({'; '.join(hints)})" if hints else ""
    return (f"jit() got unknown option(s) {', '.join(unknown)}{hint}; known options: "
            f"{', '.join(FIELDS)}, signatures (and Numba's nopython, error_model)")

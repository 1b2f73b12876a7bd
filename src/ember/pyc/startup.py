"""What the bytecode cache buys at start-up: a script (or ``-m`` module) run N times
cold and N times warm, and the imports that dominate.

target → :func:`measure` → :class:`StartupReport` → :func:`render_table` / JSON / plot::

    >>> report = measure(Target.of_script("app.py"), runs=5)  # doctest: +SKIP
    >>> print(render_table(report))                        # doctest: +SKIP
    cold  min 412.0 ms  median 420.3 ms   (no usable cache: every module compiled)
    warm  min  61.2 ms  median  63.0 ms   (caches present)
    gain  357.3 ms per start, 6.7x faster
    ...

*Cold* runs point ``PYTHONPYCACHEPREFIX`` at a fresh, empty temporary folder with
writing off, so every module imported from source is compiled, and the user's own
``__pycache__`` folders are neither read nor touched. *Warm* runs use a second
temporary prefix that one untimed run populated. Modules frozen into the interpreter
(``os``, ``site``, ...) or built in are the same in both and are labelled so.

Per-module figures come from separate profiled runs (``-X importtime -v``): the
importer's own ``code object from`` messages say whether each module's code came from
a pyc (``cache``) or from its source (``compiled``).
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ember.diagnostics import Diagnostic, EmberError, Span, dangling_symlink

# How a module's code was obtained, as the importer's -v messages tell it.
COMPILED = "compiled"  # from its source: no usable pyc
CACHE = "cache"  # from its pyc
FROZEN = "frozen"  # frozen into the interpreter (os, site, ...): no cache involved
BUILTIN = "builtin"  # compiled into the interpreter
EXTENSION = "extension"  # a shared library
PYC_ONLY = "pyc only"  # a sourceless pyc
NAMESPACE = "namespace"  # a namespace package: no code
FAILED = "failed"  # tried and not found (or raised): `try: import x` probes
UNKNOWN = "?"


@dataclass(frozen=True, slots=True)
class Target:
    """What to start: ``python SCRIPT ARGS`` or ``python -m MODULE ARGS``."""

    script: str | None = None
    module: str | None = None
    args: tuple[str, ...] = ()

    @classmethod
    def of_script(cls, path: str, args: Sequence[str] = ()) -> Target:
        return cls(script=path, args=tuple(args))

    @classmethod
    def of_module(cls, name: str, args: Sequence[str] = ()) -> Target:
        return cls(module=name, args=tuple(args))

    @property
    def argv(self) -> list[str]:
        """The arguments after ``python``."""
        head = ["-m", self.module] if self.module is not None else [str(self.script)]
        return [*head, *self.args]

    @property
    def label(self) -> str:
        return " ".join(self.argv)


@dataclass(frozen=True, slots=True)
class ImportRecord:
    """One ``-X importtime`` line: self and cumulative microseconds, nesting depth."""

    name: str
    self_us: int
    cumulative_us: int
    depth: int


@dataclass(frozen=True, slots=True)
class ModuleTiming:
    """One module's import, cold and warm (self time, best of the profiled runs)."""

    name: str
    cold_us: int
    warm_us: int
    cold_how: str
    warm_how: str
    depth: int = 0

    @property
    def saved_us(self) -> int:
        return self.cold_us - self.warm_us


@dataclass(frozen=True, slots=True)
class StartupReport:
    """Wall-clock seconds per run, cold and warm, and the per-module profile."""

    target: str
    python: str
    python_version: str
    runs: int
    cold: tuple[float, ...]
    warm: tuple[float, ...]
    modules: tuple[ModuleTiming, ...] = field(default=())
    returncode: int = 0
    stderr_tail: str = ""

    @property
    def cold_min(self) -> float:
        return min(self.cold)

    @property
    def cold_median(self) -> float:
        return statistics.median(self.cold)

    @property
    def warm_min(self) -> float:
        return min(self.warm)

    @property
    def warm_median(self) -> float:
        return statistics.median(self.warm)

    @property
    def gain(self) -> float:
        """Seconds saved per start by the caches (medians)."""
        return self.cold_median - self.warm_median

    @property
    def speedup(self) -> float:
        return self.cold_median / self.warm_median if self.warm_median else float("inf")

    def top(self, n: int) -> list[ModuleTiming]:
        """The ``n`` modules with the largest cold self time: where start-up goes."""
        return sorted(self.modules, key=lambda m: (-m.cold_us, m.name))[:n]

    def to_json(self, top: int | None = None) -> dict[str, object]:
        modules = self.top(top) if top else sorted(self.modules, key=lambda m: -m.cold_us)
        return {
            "target": self.target,
            "python": self.python,
            "python_version": self.python_version,
            "runs": self.runs,
            "returncode": self.returncode,
            "cold_s": {"min": self.cold_min, "median": self.cold_median, "all": list(self.cold)},
            "warm_s": {"min": self.warm_min, "median": self.warm_median, "all": list(self.warm)},
            "gain_s": self.gain,
            "speedup": self.speedup,
            "imports": {
                "cold_self_us_total": sum(m.cold_us for m in self.modules),
                "warm_self_us_total": sum(m.warm_us for m in self.modules),
                "compiled_cold": sum(m.cold_how == COMPILED for m in self.modules),
                "from_cache_warm": sum(m.warm_how == CACHE for m in self.modules),
            },
            "modules": [
                {
                    "name": m.name,
                    "cold_us": m.cold_us,
                    "warm_us": m.warm_us,
                    "saved_us": m.saved_us,
                    "cold": m.cold_how,
                    "warm": m.warm_how,
                }
                for m in modules
            ],
        }


class RunTimedOut(EmberError):
    """A run of the measured program did not finish within the timeout."""


class BadOption(EmberError):
    """An option's value is unusable (a --plot file of no known format): the command
    line's fault, a usage error."""


def measure(
    target: Target,
    *,
    runs: int = 5,
    profile_runs: int = 3,
    python: str | None = None,
    cwd: str | os.PathLike[str] | None = None,
    timeout: float = 120.0,
) -> StartupReport:
    """Start ``target`` ``runs`` times cold and ``runs`` times warm (interleaved, so
    drift hits both alike), then profile it ``profile_runs`` times each way.

    Raises :class:`EmberError` when the script does not exist, and
    :class:`RunTimedOut` when a run does not finish within ``timeout``.

    >>> r = measure(Target.of_module("json.tool", ["--help"]), runs=3)  # doctest: +SKIP
    >>> r.cold_median > r.warm_median                                 # doctest: +SKIP
    True
    """
    if runs < 1 or profile_runs < 1:
        raise ValueError("runs and profile_runs must be at least 1")
    python = python or sys.executable
    workdir = Path(cwd) if cwd is not None else Path.cwd()
    if target.script is not None and not (workdir / target.script).exists():
        dangling = dangling_symlink(workdir / target.script)
        raise EmberError(
            Diagnostic(
                Span(target.script, 0),  # no such file: no source line to point at
                f"can't open file {target.script!r}: {dangling or 'no such file'}",
                hint="remove the link or restore its target"
                if dangling
                else "give the path of a Python script, or -m MODULE",
            )
        )
    cmd = [python, *target.argv]
    with tempfile.TemporaryDirectory(prefix="ember-startup-") as tmp:
        warm_env = _env(Path(tmp) / "warm", write=True)
        populate = _run(cmd, warm_env, workdir, timeout)  # untimed: fills the warm prefix
        cold: list[float] = []
        warm: list[float] = []
        for i in range(runs):
            cold.append(_timed(cmd, _env(Path(tmp) / f"cold-{i}", write=False), workdir, timeout))
            warm.append(_timed(cmd, warm_env, workdir, timeout))
        prof_cmd = [python, "-X", "importtime", "-v", *target.argv]
        cold_prof = [
            _run(prof_cmd, _env(Path(tmp) / f"cold-prof-{i}", write=False), workdir, timeout)
            for i in range(profile_runs)
        ]
        warm_prof = [_run(prof_cmd, warm_env, workdir, timeout) for _ in range(profile_runs)]
    version = subprocess.run(
        [python, "-c", "import sys; print(sys.version.split()[0])"],
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return StartupReport(
        target=target.label,
        python=python,
        python_version=version.stdout.strip(),
        runs=runs,
        cold=tuple(cold),
        warm=tuple(warm),
        modules=tuple(combine_profiles(cold_prof, warm_prof)),
        returncode=populate.returncode,
        stderr_tail=_tail(populate.stderr) if populate.returncode else "",
    )


def _env(prefix: Path, *, write: bool) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(prefix)
    if not write:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def _run(
    cmd: list[str], env: dict[str, str] | None, cwd: Path, timeout: float
) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            cmd,
            env=env,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            errors="replace",
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        raise RunTimedOut(
            Diagnostic(
                Span("", 0),  # about a run, not a place in a file
                f"{' '.join(cmd)} did not finish within {timeout:g} s",
                hint="ember startup measures programs that exit by themselves; "
                "raise --timeout if it is just slow",
            )
        ) from None


def _timed(cmd: list[str], env: dict[str, str], cwd: Path, timeout: float) -> float:
    import time

    t0 = time.perf_counter()
    _run(cmd, env, cwd, timeout)
    return time.perf_counter() - t0


def _tail(text: str, lines: int = 8) -> str:
    return "\n".join(text.rstrip().splitlines()[-lines:])


# --- parsing the interpreter's own reports ------------------------------------------

_IMPORTTIME = re.compile(r"^import time:\s+(\d+)\s+\|\s+(\d+)\s+\|( *)(\S+)\s*$")
_CODE_FROM = re.compile(r"^# code object from (.+)$")
_IMPORTED = re.compile(r"^import '([^']+)' # (.*)$")


def parse_importtime(stderr: str) -> list[ImportRecord]:
    """The ``-X importtime`` lines of a run's stderr, in the order printed.

    >>> parse_importtime("import time:       120 |        340 |   json.decoder\\n")
    [ImportRecord(name='json.decoder', self_us=120, cumulative_us=340, depth=1)]
    """
    out = []
    for line in stderr.splitlines():
        m = _IMPORTTIME.match(line)
        if m:
            out.append(ImportRecord(m[4], int(m[1]), int(m[2]), (len(m[3]) - 1) // 2))
    return out


def parse_sources(stderr: str) -> dict[str, str]:
    """Module name → how its code was obtained, from ``-v`` output.

    The importer prints ``# code object from '<pyc>'`` (quoted) when it loads a cache
    and ``# code object from <source>`` (unquoted) when it compiles, at the start of
    a module's execution, and ``import 'name' # <loader>`` at its end; nesting is
    LIFO, so a stack pairs them. An entry left by a failed import is dropped when
    the next outer import does not match its path.

    >>> parse_sources("# code object from '/c/a.cpython-311.pyc'\\n"
    ...               "import 'a' # <SourceFileLoader object at 0x1>\\n")
    {'a': 'cache'}
    """
    stack: list[tuple[str, str]] = []  # (path, how)
    out: dict[str, str] = {}
    for line in stderr.splitlines():
        m = _CODE_FROM.match(line)
        if m:
            text = m[1]
            if len(text) > 1 and text[0] == text[-1] and text[0] in "'\"":
                stack.append((text[1:-1], CACHE))
            else:
                stack.append((text, COMPILED))
            continue
        m = _IMPORTED.match(line)
        if not m:
            continue
        name, loader = m[1], m[2]
        if "FrozenImporter" in loader:
            out[name] = FROZEN
        elif "BuiltinImporter" in loader:
            out[name] = BUILTIN
        elif "ExtensionFileLoader" in loader:
            out[name] = EXTENSION
        elif "NamespaceLoader" in loader:
            out[name] = NAMESPACE
        else:
            how = UNKNOWN
            while stack:
                path, popped = stack.pop()
                if _path_is_module(path, name):
                    how = popped
                    break
            out[name] = PYC_ONLY if "Sourceless" in loader and how == CACHE else how
    return out


def _path_is_module(path: str, name: str) -> bool:
    """Could ``path`` (a .py, or its pyc under __pycache__ or a prefix) be ``name``?"""
    parts = path.replace("\\", "/").split("/")
    stem = parts[-1].split(".", 1)[0]
    if stem == "__init__":
        stem = parts[-2] if len(parts) > 1 else stem
        if stem == "__pycache__" and len(parts) > 2:
            stem = parts[-3]
    return stem == name.rpartition(".")[2]


def combine_profiles(
    cold_runs: Sequence[subprocess.CompletedProcess[str]],
    warm_runs: Sequence[subprocess.CompletedProcess[str]],
) -> list[ModuleTiming]:
    """Per module: the best self time over the profiled runs of each kind, and how
    its code was obtained (from the first run that says)."""

    def best(runs: Sequence[subprocess.CompletedProcess[str]]) -> tuple[dict, dict, dict]:
        times: dict[str, int] = {}
        depth: dict[str, int] = {}
        how: dict[str, str] = {}
        for run in runs:
            for rec in parse_importtime(run.stderr):
                times[rec.name] = min(times.get(rec.name, rec.self_us), rec.self_us)
                depth.setdefault(rec.name, rec.depth)
            for name, h in parse_sources(run.stderr).items():
                how.setdefault(name, h)
        return times, depth, how

    cold_t, cold_d, cold_h = best(cold_runs)
    warm_t, warm_d, warm_h = best(warm_runs)
    names = sorted(set(cold_t) | set(warm_t))
    return [
        ModuleTiming(
            name=n,
            cold_us=cold_t.get(n, 0),
            warm_us=warm_t.get(n, 0),
            cold_how=cold_h.get(n, FAILED),
            warm_how=warm_h.get(n, FAILED),
            depth=cold_d.get(n, warm_d.get(n, 0)),
        )
        for n in names
    ]


# --- presenting ---------------------------------------------------------------------


def render_table(report: StartupReport, top: int = 10) -> str:
    """The report as terminal text: the headline, then the modules that dominate.

    >>> print(render_table(StartupReport("app.py", "python", "3.11.7", 1, (0.4,), (0.1,))))
    ... # doctest: +NORMALIZE_WHITESPACE
    ember startup: python app.py  (Python 3.11.7, 1 run each)
      cold  min  400.0 ms  median  400.0 ms  (no caches: every module from source compiled)
      warm  min  100.0 ms  median  100.0 ms  (caches written by a first run)
      gain  300.0 ms per start (4.0x faster warm)
    """
    ms = 1e3
    lines = [
        f"ember startup: python {report.target}  (Python {report.python_version}, "
        f"{report.runs} run{'s' if report.runs != 1 else ''} each)",
        f"  cold  min {report.cold_min * ms:8.1f} ms  median {report.cold_median * ms:8.1f} ms"
        "  (no caches: every module from source compiled)",
        f"  warm  min {report.warm_min * ms:8.1f} ms  median {report.warm_median * ms:8.1f} ms"
        "  (caches written by a first run)",
        f"  gain  {report.gain * ms:.1f} ms per start ({report.speedup:.1f}x faster warm)",
    ]
    if report.returncode:
        lines.append(f"  note: the program exited with status {report.returncode}:")
        lines.extend("    " + line for line in report.stderr_tail.splitlines())
    if not report.modules:
        return "\n".join(lines)
    rows = report.top(top)
    width = max(len("module"), *(len(m.name) for m in rows))
    total_cold = sum(m.cold_us for m in report.modules)
    total_warm = sum(m.warm_us for m in report.modules)
    compiled = sum(m.cold_how == COMPILED for m in report.modules)
    cached = sum(m.warm_how == CACHE for m in report.modules)
    lines += [
        "",
        f"imports: {len(report.modules)} modules, self time {total_cold / ms:.1f} ms cold "
        f"({compiled} compiled) vs {total_warm / ms:.1f} ms warm ({cached} from cache)",
        f"the {len(rows)} slowest cold (self time, best of the profiled runs):",
        f"  {'module':<{width}}  {'cold ms':>8}  {'warm ms':>8}  {'saved':>8}  cold from   warm from",
    ]
    for m in rows:
        lines.append(
            f"  {m.name:<{width}}  {m.cold_us / ms:8.2f}  {m.warm_us / ms:8.2f}  "
            f"{m.saved_us / ms:8.2f}  {m.cold_how:<10} {m.warm_how}"
        )
    if report.target.split()[0] != "-m":
        lines.append(
            "python compiles the script itself on every run, cold or warm; "
            "`ember run` caches it too."
        )
    return "\n".join(lines)


def plot_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("matplotlib") is not None


# About no file: a plain `error: ...` line (an empty path, line 0).
PLOT_MISSING = Diagnostic(
    Span("", 0),
    "--plot needs matplotlib (pip install matplotlib)",
)


def check_plot_path(path: str | os.PathLike[str]) -> Path:
    """The plot's path if its suffix is .png or .svg and matplotlib is importable;
    raises :class:`EmberError` saying what to do otherwise."""
    p = Path(path)
    if p.suffix.lower() not in (".png", ".svg"):
        raise BadOption(
            Diagnostic(
                Span("", 0),  # an option's value, not a place in a file
                f"--plot {p}: cannot tell the plot format from {p.name!r}",
                hint="name the file FILE.png or FILE.svg",
            )
        )
    if not plot_available():
        raise EmberError(PLOT_MISSING)
    return p


def plot(report: StartupReport, path: str | os.PathLike[str], top: int = 15) -> Path:
    """Draw cold vs warm self time per module (the ``top`` slowest cold) to a .png
    or .svg; written atomically. Needs matplotlib (``pip install 'ember[plot]'``)."""
    out = check_plot_path(path)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = list(reversed(report.top(top)))
    names = [m.name for m in rows]
    y = range(len(rows))
    fig, ax = plt.subplots(figsize=(9, 1.2 + 0.38 * max(1, len(rows))))
    ax.barh([i + 0.2 for i in y], [m.cold_us / 1e3 for m in rows], 0.4, label="cold (compiled)")
    ax.barh([i - 0.2 for i in y], [m.warm_us / 1e3 for m in rows], 0.4, label="warm (cache)")
    ax.set_yticks(list(y), names, fontsize=8)
    ax.set_xlabel("import self time, ms (best of profiled runs)")
    ax.set_title(
        f"python {report.target}: cold {report.cold_median * 1e3:.0f} ms vs "
        f"warm {report.warm_median * 1e3:.0f} ms (median of {report.runs})",
        fontsize=10,
    )
    ax.legend(loc="lower right")
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        fig.savefig(tmp, format=out.suffix[1:].lower())
        os.replace(tmp, out)
    finally:
        plt.close(fig)
        tmp.unlink(missing_ok=True)
    return out

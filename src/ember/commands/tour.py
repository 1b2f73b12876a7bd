"""``ember tour``: both layers, step by step, on a copy of the bundled example app.

Each step prints the command it runs and that command's real output, so the tour is
also a transcript a newcomer can repeat by hand. The app is copied to a temporary
folder first: the repository is never modified.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

# Package data (ember/examples), so the tour works from a non-editable install too.
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = (
        "steps: status of a fresh tree, build, a no-op rebuild, an edit made stale,\n"
        "inspect a .pyc, run the main script from its cache, and a @jit kernel run\n"
        "twice (compiled, then loaded from the native cache).\n\n"
        "example:\n  ember tour\n  ember tour --keep /tmp/ember-tour   # keep the copy to explore\n\n"
        "exit status: 0 when the build step succeeds; 1 when it fails or the app cannot be\n"
        "copied whole (each path that cannot is named); 2 when the app folder does not exist\n"
        "or has no main.py."
    )
    parser.add_argument(
        "app",
        nargs="?",
        type=Path,
        default=EXAMPLES / "sampleapp",
        help="an app folder with a main.py (default: the bundled sample app)",
    )
    parser.add_argument("--keep", type=Path, metavar="DIR", help="copy the app to DIR and keep it")
    parser.add_argument("--no-native", action="store_true", help="skip the native (LLVM) steps")


def _step(title: str) -> None:
    print(f"\n\033[1m== {title}\033[0m" if sys.stdout.isatty() else f"\n== {title}", flush=True)


def _ember(*args: str, cwd: Path, env: dict[str, str]) -> int:
    print(f"$ ember {' '.join(args)}", flush=True)
    return subprocess.run([sys.executable, "-m", "ember", *args], cwd=cwd, env=env).returncode


def main(args: argparse.Namespace) -> int:
    app: Path = args.app
    if not app.is_dir():
        what = "is not a folder" if app.exists() else "does not exist"
        print(f"ember tour: error: {app} {what}", file=sys.stderr)
        print(
            "hint: pass an app folder with a main.py, or no argument for the bundled app",
            file=sys.stderr,
        )
        return 2
    if not (app / "main.py").is_file():
        print(f"ember tour: error: {app} has no main.py", file=sys.stderr)
        print("hint: pass an app folder, e.g. 'ember tour examples/sampleapp'", file=sys.stderr)
        return 2
    try:
        work = args.keep or Path(tempfile.mkdtemp(prefix="ember-tour-"))
        work.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        where = args.keep or tempfile.gettempdir()
        print(f"{where}: error: cannot create the tour's folder ({exc.strerror})", file=sys.stderr)
        return 1
    try:
        try:
            shutil.copytree(
                app, work / "app", dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__")
            )
            # The copy is the tour's to build in, even when the app folder is read-only.
            for folder in [work / "app", *(work / "app").rglob("*")]:
                if folder.is_dir() and not folder.is_symlink():
                    folder.chmod(folder.stat().st_mode | 0o700)
        except shutil.Error as exc:  # every path that could not be copied, then stop
            for src, _dst, why in exc.args[0]:
                if os.path.islink(src) and not os.path.exists(src):
                    from ember.diagnostics import dangling_symlink

                    why = dangling_symlink(src) or f"cannot reach {src}"
                else:
                    why = f"cannot copy ({_strerror(why)})"
                print(f"{src}: error: {why}", file=sys.stderr)
            print(f"ember tour: error: {app} could not be copied whole", file=sys.stderr)
            return 1
        except OSError as exc:
            print(f"{exc.filename}: error: cannot copy ({exc.strerror})", file=sys.stderr)
            return 1
        return _tour(app, work, native=not args.no_native)
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


def _strerror(why: str) -> str:
    """``[Errno 13] Permission denied: 'x'`` → ``Permission denied`` (shutil.Error keeps
    only the text of each OSError)."""
    import re

    found = re.match(r"\[Errno \d+\] ([^:]+)", why)
    return found.group(1) if found else why


def _tour(app: Path, work: Path, *, native: bool) -> int:
    env = dict(os.environ)
    # Many images set this; the tour wants the importer to write caches like a laptop does.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.pop("PYTHONPYCACHEPREFIX", None)
    env["EMBER_CACHE_DIR"] = str(work / "native-cache")
    print(f"ember tour: working on a copy of {app} in {work}")

    _step("1. A fresh tree: the importer would compile every module")
    _ember("status", "app", cwd=work, env=env)
    _step("2. Build every cache file in one worker pool (byte-identical to py_compile)")
    failed = _ember("build", "app", cwd=work, env=env)
    _step("3. Build again: everything is fresh, nothing to do")
    _ember("build", "app", cwd=work, env=env)
    _step("4. Edit a module: the importer would now see a stale cache, and ember says why")
    victim = sorted((work / "app").rglob("*.py"))[-1]
    with victim.open("a", encoding="utf-8") as f:
        f.write("# edited by the tour\n")
    _ember("status", "app", cwd=work, env=env)
    _ember("build", "-q", "app", cwd=work, env=env)
    _step("5. Inside a .pyc: header, code objects, and every string a reader can see")
    _ember("inspect", "--strings", str(victim.relative_to(work)), cwd=work, env=env)
    _step("6. Run the main script like python does, but from its cache")
    _ember("run", "app/main.py", cwd=work, env=env)
    if native:
        demo = EXAMPLES / "native" / "demo.py"
        _step("7. Native: a float kernel compiled to machine code with @ember.jit")
        print(f"$ python {demo.name}   # first process: compiles through LLVM", flush=True)
        subprocess.run([sys.executable, str(demo)], cwd=work, env=env)
        print(f"$ python {demo.name}   # second process: loads the native cache", flush=True)
        subprocess.run([sys.executable, str(demo)], cwd=work, env=env)
    print("\nNext: 'ember --help', and README.md for each command.")
    return 1 if failed else 0

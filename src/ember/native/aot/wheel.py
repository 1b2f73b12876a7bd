"""The build-backend hook: a project's ``[tool.ember] aot`` modules → extensions added to
the wheel setuptools built, retagged for this interpreter and platform.

    [build-system]
    requires = ["ember", "setuptools"]
    build-backend = "ember.build_backend"

    [tool.ember]
    aot = ["pkg.kernels"]                 # modules whose @jit functions ship compiled
    cpu = "portable"                      # optional: as ember aot --cpu
    [tool.ember.signatures]               # optional: as ember aot --signature
    "pkg.kernels" = ["smooth:float64[:],int"]

:func:`add_extensions` takes the pure wheel setuptools wrote and writes the same files
plus ``pkg/kernels.cpython-311-x86_64-linux-gnu.so`` (built by ``ember aot`` in a
process of its own), with ``Root-Is-Purelib: false``, the tag ``cp311-cp311-<platform>``
and a RECORD of the new contents. The module's ``.py`` stays in the wheel: the importer
prefers the extension beside it, and tracebacks show its lines.
"""

from __future__ import annotations

import base64
import hashlib
import os
import subprocess
import sys
import sysconfig
import tempfile
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path


class BuildError(RuntimeError):
    """A ``[tool.ember]`` table that names no module, or a module that did not build;
    the message names the file or module and says what to do."""


@dataclass(frozen=True, slots=True)
class AotConfig:
    """What ``[tool.ember]`` asks for."""

    modules: tuple[str, ...]
    cpu: str = "portable"
    signatures: Mapping[str, Sequence[str]] | None = None


def read_config(project: Path) -> AotConfig:
    """``[tool.ember]`` of ``project/pyproject.toml`` (no table: nothing to build)."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10: the backport setuptools also uses
        import tomli as tomllib
    path = project / "pyproject.toml"
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except FileNotFoundError:
        return AotConfig(())
    except tomllib.TOMLDecodeError as exc:
        raise BuildError(f"{path}: {exc}") from None
    table = data.get("tool", {}).get("ember", {})
    modules = table.get("aot", [])
    if not isinstance(modules, list) or not all(isinstance(m, str) for m in modules):
        raise BuildError(f"{path}: [tool.ember] aot must be a list of module names, "
                         'like aot = ["pkg.kernels"]')
    sigs = table.get("signatures", {})
    return AotConfig(tuple(modules), str(table.get("cpu", "portable")), sigs)


def module_source(project: Path, module: str) -> tuple[Path, Path]:
    """(the module's ``.py``, the folder its top package sits in: ``src/`` or the
    project itself)."""
    rel = Path(*module.split(".")).with_suffix(".py")
    for root in (project / "src", project):
        if (root / rel).is_file():
            return root / rel, root
    raise BuildError(f"[tool.ember] aot names {module!r}, but neither src/{rel} nor {rel} "
                     f"exists in {project}")


def build_module(project: Path, module: str, config: AotConfig, out_dir: Path) -> Path:
    """``ember aot`` for one module, in a process of its own with the module's package
    importable; returns the extension's path."""
    source, root = module_source(project, module)
    cmd = [sys.executable, "-m", "ember", "aot", str(source), "-o", str(out_dir),
           "--cpu", config.cpu]
    for sig in (config.signatures or {}).get(module, ()):
        cmd += ["--signature", sig]
    env = {**os.environ, "EMBER_CACHE": "0"}
    env["PYTHONPATH"] = os.pathsep.join([str(root), *filter(None, [env.get("PYTHONPATH")])])
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if proc.returncode != 0:
        raise BuildError(f"ember aot could not build {module}:\n{proc.stderr.strip()}")
    found = [p for p in out_dir.iterdir() if p.name.startswith(source.stem + ".")]
    if len(found) != 1:
        raise BuildError(f"ember aot built {module} but wrote no single extension: {found}")
    return found[0]


def wheel_tag() -> str:
    """``cp311-cp311-linux_x86_64``: the extension holds bytecode and calls the C API of
    this interpreter, so both tags are its own; the platform is sysconfig's."""
    impl = {"cpython": "cp"}.get(sys.implementation.name, sys.implementation.name)
    ver = f"{impl}{sys.version_info[0]}{sys.version_info[1]}"
    platform = sysconfig.get_platform().replace("-", "_").replace(".", "_")
    return f"{ver}-{ver}-{platform}"


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def _wheel_file(text: str, tag: str) -> str:
    lines = [line for line in text.splitlines()
             if line.strip() and not line.startswith(("Tag:", "Root-Is-Purelib:"))]
    return "\n".join([*lines, "Root-Is-Purelib: false", f"Tag: {tag}"]) + "\n"


def add_extensions(wheel: Path, extensions: Mapping[str, Path], tag: str) -> Path:
    """Rewrite the pure ``wheel`` with ``extensions`` (archive name → file) added and
    the platform ``tag``; returns the new wheel (the old one is removed). Atomic: the
    new wheel is written under a temporary name, then renamed."""
    name, version = wheel.name.split("-")[:2]
    target = wheel.with_name(f"{name}-{version}-{tag}.whl")
    records: list[str] = []
    fd, tmp = tempfile.mkstemp(prefix=".ember-", suffix=".whl", dir=wheel.parent)
    os.close(fd)
    try:
        with zipfile.ZipFile(wheel) as src, \
                zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as out:
            record_name = next(n for n in src.namelist() if n.endswith(".dist-info/RECORD"))
            for info in src.infolist():
                if info.filename == record_name:
                    continue
                data = src.read(info)
                if info.filename.endswith(".dist-info/WHEEL"):
                    data = _wheel_file(data.decode(), tag).encode()
                out.writestr(info, data)
                records.append(_record_line(info.filename, data))
            for arcname, path in extensions.items():
                data = path.read_bytes()
                info = zipfile.ZipInfo(arcname, date_time=(1980, 1, 1, 0, 0, 0))
                info.external_attr = 0o755 << 16  # rwxr-xr-x, as an installed .so
                info.compress_type = zipfile.ZIP_DEFLATED
                out.writestr(info, data)
                records.append(_record_line(arcname, data))
            out.writestr(record_name, "\n".join([*records, f"{record_name},,"]) + "\n")
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    if target != wheel:
        wheel.unlink()
    return target


def build_aot_wheel(project: Path, wheel: Path, config: AotConfig | None = None) -> Path:
    """The hook's whole job for one pure wheel: build every configured module and add
    it. Returns the wheel to hand back (the same one when nothing is configured)."""
    config = read_config(project) if config is None else config
    if not config.modules:
        return wheel
    with tempfile.TemporaryDirectory(prefix="ember-aot-") as tmp:
        extensions: dict[str, Path] = {}
        for i, module in enumerate(config.modules):
            out = Path(tmp, str(i))
            out.mkdir()
            built = build_module(project, module, config, out)
            package = module.split(".")[:-1]
            extensions["/".join([*package, built.name])] = built
        return add_extensions(wheel, extensions, wheel_tag())


"""A PEP 517 build backend: setuptools' own, plus the project's ``[tool.ember] aot``
modules compiled into the wheel as extension modules that need no ember to run.

    [build-system]
    requires = ["ember", "setuptools"]
    build-backend = "ember.build_backend"

    [tool.ember]
    aot = ["pkg.kernels"]

``pip install .``, ``pip wheel .`` and ``python -m build`` then give a wheel tagged for
this interpreter and platform (``cp311-cp311-linux_x86_64``) holding
``pkg/kernels.cpython-311-x86_64-linux-gnu.so`` beside ``pkg/kernels.py``; installed,
``import pkg.kernels`` loads the extension with only CPython (and NumPy where arrays are
used). Every other hook (sdist, editable installs, metadata) is setuptools' unchanged:
an editable install runs the @jit functions through the JIT.
"""

from __future__ import annotations

from pathlib import Path

from setuptools import build_meta as _setuptools
from setuptools.build_meta import (  # noqa: F401 - the PEP 517 surface, re-exported
    build_sdist,
    get_requires_for_build_sdist,
    get_requires_for_build_wheel,
    prepare_metadata_for_build_wheel,
)

try:  # PEP 660 hooks (setuptools >= 64)
    from setuptools.build_meta import (  # noqa: F401
        build_editable,
        get_requires_for_build_editable,
        prepare_metadata_for_build_editable,
    )
except ImportError:  # pragma: no cover - an older setuptools: no editable installs
    pass


def build_wheel(wheel_directory: str, config_settings: dict | None = None,
                metadata_directory: str | None = None) -> str:
    """setuptools' wheel, then the ``[tool.ember] aot`` extensions added and the wheel
    retagged (:func:`ember.native.aot.wheel.build_aot_wheel`); returns its file name."""
    from ember.native.aot.wheel import BuildError, build_aot_wheel

    name = _setuptools.build_wheel(wheel_directory, config_settings, metadata_directory)
    try:
        built = build_aot_wheel(Path.cwd(), Path(wheel_directory, name))
    except BuildError as exc:
        # A build frontend shows the backend's exception: make it the message alone.
        raise SystemExit(f"ember.build_backend: {exc}") from None
    return built.name

"""Ahead of time: a module's ``@jit`` functions as a CPython extension module that imports
and runs without ember or llvmlite (``ember aot``).

- :mod:`~ember.native.aot.build`: the module's jitted functions and their signatures →
  one object per specialization (the JIT's own units) → a shared object named with the
  importer's suffix (``kernels.cpython-311-x86_64-linux-gnu.so``);
- :mod:`~ember.native.aot.extension`: the extension's own ``PyInit_<name>`` (multi-phase:
  the importer sets ``__file__`` and ``__spec__`` first), whose exec slot runs
- :mod:`~ember.native.aot.bootstrap`: Python code, marshalled into the extension, that
  runs the module's own bytecode (with a stand-in ``ember`` whose ``jit`` returns the
  function) and then binds the machine-code entries in place of the jitted functions.
"""

"""ember's differential fuzzer: generated programs run by CPython and by ``@ember.jit``.

- ``gen``: random valid programs over every operator, conditional expressions, loops with
  break/continue, calls between generated functions (callees that mutate an argument
  array or raise), ``math``, arrays of every dtype and layout indexed in and out of range,
  reductions and array constructors; ``KNOWN_BROKEN`` names the constructs left out
  until their fixes merge.
- ``reference``: CPython under ember's documented differences, the only place they live.
- ``oracle``: the strict comparison of one program's calls.
- ``run``: batches in worker subprocesses, a crash or hang attributed to its program and
  confirmed alone, reproducers.

CI runs ``tests/native/test_fuzz.py`` (a fixed seed, a small count). A long local run, at
low priority on a shared machine, from the repository root::

    nice -n 19 .venv/bin/python -m tests.native._fuzz --seed 1 --count 5000

``--jobs N`` runs N workers at once, ``--all`` also generates the ``KNOWN_BROKEN``
constructs, ``--show I`` prints program I, ``--start I`` skips the first I programs.
Exit status 1 if anything disagreed, crashed or hung; each finding is printed as a
runnable reproducer.
"""

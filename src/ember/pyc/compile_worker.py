"""The compile worker ``ember build`` starts as ``python -c <this file's text>``.

marshal flags an object for back-references when its reference count is above one,
and the compiler shares a constant with an already-interned string, so a pyc's bytes
depend on what else is alive in the compiling process: the previous optimisation
level's code, the strings interned by every module it imported. This worker therefore
starts as a plain ``python -c`` and imports only what ``py_compile`` imports, never
ember, so at each compile it holds what a fresh ``python -c "import py_compile;
py_compile.compile(...)"`` holds, and writes that process's bytes.

Rules for this file (tests/pyc/test_determinism.py checks the first):

- every identifier in it must be one that ``import py_compile`` interns anyway (each
  name used here is interned when this code is compiled), so the names are
  py_compile's own; no annotations (they would add names);
- every reference from one compile (code, source, error) is dropped before the next;
- a compile that imports a module (a coding cookie's codec; unicodedata for a
  ``\\N{...}`` escape) leaves that module's names interned: the worker then
  restarts itself (exec) before the next compile;
- before 3.12 and from 3.13 an interned string dies with its last reference, so the
  worker's state is the same after each file. 3.12 made interned strings immortal,
  so every compile leaves its names behind: there the worker compiles nothing
  itself, a forked child goes from task to task, and a level whose code holds a
  frozenset of strings (the constant that is shared, and so flagged, only when its
  strings were interned before: the difference this whole file is about) is
  compiled again in a child of its own, forked from the untouched worker.

Protocol, both ways ``4-byte little-endian length + payload``. In: a task,
``index \\0 mode \\0 source \\0 level \\0 cache [\\0 level \\0 cache ...]`` (paths as
file-system bytes). Out: one marshalled record per level, ``(index, level, kind,
...)``: kind 0 compiled ``(lineno, category, message)`` warnings; 1 cannot read
``(strerror,)``; 2 cannot write ``(strerror,)``; 3 compile error ``(type, str, msg,
lineno, offset, end_lineno, end_offset, text)``; 4 the compiling child died. A level
that fails ends its task (a compile error is not tried again at the next level). Errors are raw data: the parent formats them, so formatting
never changes this process.
"""

import builtins
import marshal
import os
import py_compile  # noqa: F401 - its imports are the state a fresh py_compile has
import sys
import warnings
from importlib import _bootstrap_external
from importlib.util import source_hash


def read(size):
    data = b""
    while len(data) < size:
        chunk = os.read(0, size - len(data))
        if not chunk:
            return b""
        data = data + chunk
    return data


def dump(record):
    data = marshal.dumps(record)
    data = len(data).to_bytes(4, "little") + data
    while data:
        data = data[os.write(1, data) :]


def compile(index, mode, file, optimize, cfile, strict):
    """Compile ``file`` at level ``optimize`` to ``cfile``; send its record; return
    whether it worked, or None (nothing written or sent) when ``strict`` is true and
    the code holds a constant whose bytes depend on earlier compiles."""
    try:
        fd = os.open(file, os.O_RDONLY)
        try:
            source_stats = os.fstat(fd)
            # A short read is the end of the file; a longer one: it grew meanwhile.
            source_bytes = os.read(fd, source_stats.st_size + 1)
            data = source_bytes
            while data:
                data = os.read(fd, 1 << 16)
                source_bytes += data
        finally:
            os.close(fd)
    except OSError as err:
        dump((index, optimize, 1, err.strerror or str(err)))
        return False
    with warnings.catch_warnings(record=True) as found:
        warnings.simplefilter("always")
        try:
            code = builtins.compile(
                source_bytes, file, "exec", dont_inherit=True, optimize=optimize
            )
        except Exception as err:
            dump(
                (
                    index,
                    optimize,
                    3,
                    type(err).__name__,
                    str(err),
                    getattr(err, "msg", None),
                    getattr(err, "lineno", None),
                    getattr(err, "offset", None),
                    getattr(err, "end_lineno", None),
                    getattr(err, "end_offset", None),
                    getattr(err, "text", None),
                )
            )
            return False
    if strict and find(code.co_consts):
        return None
    # As py_compile: the importer's own header + marshal, its file mode.
    if mode == "checked-hash" or mode == "unchecked-hash":
        bytecode = _bootstrap_external._code_to_hash_pyc(
            code, source_hash(source_bytes), mode == "checked-hash"
        )
    else:
        bytecode = _bootstrap_external._code_to_timestamp_pyc(
            code, source_stats.st_mtime, source_stats.st_size
        )
    del code, source_bytes
    try:
        _write_atomic(cfile, bytecode, (source_stats.st_mode | 0o200) & 0o666)
    except OSError as err:
        dump((index, optimize, 2, err.strerror or str(err)))
        return False
    # (a loop, not a comprehension: its code object's name would be a new string)
    args = []
    for msg in found:
        args.append((msg.lineno, msg.category.__name__, str(msg.message)))
    dump((index, optimize, 0, args))
    return True


def _write_atomic(cfile, bytecode, mode):
    """Atomically: a temporary unique to this process, then one rename."""
    path = cfile + "." + str(os.getpid()) + ".tmp"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
    try:
        fd = os.open(path, flags, mode)
    except FileNotFoundError:
        os.makedirs(os.path.dirname(cfile), exist_ok=True)
        fd = os.open(path, flags, mode)
    except FileExistsError:  # left by a crashed process that had our pid
        os.unlink(path)
        fd = os.open(path, flags, mode)
    try:
        try:
            data = memoryview(bytecode)
            while data:
                data = data[os.write(fd, data) :]
        finally:
            os.close(fd)
        os.replace(path, cfile)
    except BaseException:
        try:
            os.unlink(path)
        except OSError:
            pass
        raise


def find(values):
    """Whether ``values`` (code's, at any depth) hold a frozenset of strings: the
    compiler keeps such a constant as it is, shared, only when its strings were
    interned already, and on 3.12 (interned strings immortal) any earlier compile
    may have interned them."""
    for value in values:
        if type(value) is frozenset:
            for item in value:
                if type(item) is str:
                    return True
            if find(value):
                return True
        elif type(value) is tuple:
            if find(value):
                return True
        elif hasattr(value, "co_consts"):
            if find(value.co_consts):
                return True
    return False


def main(pipe, args):
    """Compile each task from stdin (first ``args``, a task's fields, if given) in
    this process. With a ``pipe``, stop at the first level whose bytes could depend
    on the earlier compiles, and write what is left of its task to that file
    descriptor. A compile that imports a module (a source's coding cookie loads its
    codec) leaves that module's strings interned for every later file: the rest of
    the task goes to the pipe, or without one this process starts afresh with it."""
    while True:
        if not args:
            size = read(4)
            if not size:
                return
            args = read(int.from_bytes(size, "little")).split(b"\0")
        index = int(args[0])
        mode = args[1].decode()
        file = os.fsdecode(args[2])
        while len(args) > 3:
            optimize = int(args[3])
            cfile = os.fsdecode(args[4])
            size = len(sys.modules)
            result = compile(index, mode, file, optimize, cfile, pipe)
            if result is None or (result and len(sys.modules) != size):
                if result:
                    del args[3:5]
                data = b"\0".join(args)
                if not pipe:
                    if os.name == "nt":  # exec is not a restart there: go on as we are
                        args = None
                        break
                    data = [sys.executable, "-c", sys.orig_argv[2], data.hex()]
                    os.execv(sys.executable, data)
                data = memoryview(data)
                while data:
                    data = data[os.write(pipe, data) :]
                return
            if not result:
                break
            del args[3:5]
        args = file = cfile = None


def fork():
    """3.12: compile in a forked child of this untouched process, which compiles
    nothing itself. A child goes on from task to task until a file's bytes could
    depend on what it compiled before; that file's levels are then each compiled in
    a child of their own, fresh from this process, and a new child goes on."""
    while True:
        fd, path = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(fd)
            main(path, None)
            os._exit(0)
        os.close(path)
        args = []
        data = os.read(fd, 1 << 16)
        while data:
            args.append(data)
            data = os.read(fd, 1 << 16)
        os.close(fd)
        os.waitpid(pid, 0)
        if not args:  # the end of the tasks (or the child died: its task is unanswered)
            return
        args = b"".join(args).split(b"\0")
        index = int(args[0])
        mode = args[1].decode()
        file = os.fsdecode(args[2])
        while len(args) > 3:
            optimize = int(args[3])
            cfile = os.fsdecode(args[4])
            del args[3:5]
            pid = os.fork()
            if pid == 0:
                os._exit(0 if compile(index, mode, file, optimize, cfile, False) else 1)
            pid = os.waitpid(pid, 0)[1]
            if pid:
                if not os.WIFEXITED(pid):
                    dump((index, optimize, 4))
                break
        args = file = cfile = None


if __name__ == "__main__":  # run by `python -c`, never on import
    if sys.version_info[:2] == (3, 12) and hasattr(os, "fork"):
        fork()
    elif len(sys.argv) > 1:  # restarted with the rest of a task (see main)
        main(False, bytes.fromhex(sys.argv[1]).split(b"\0"))
    else:
        main(False, None)

"""What a code object tree holds: code object → functions/classes with line ranges,
and every string and bytes constant with where it sits.

Shared by ``ember inspect`` (which runs this file as a script in a separate, isolated
interpreter, because a ``.pyc`` body is untrusted input) and ``ember dist`` (which walks
code it compiled itself, and rewrites ``co_filename``)::

    >>> code = compile("def greet(name):\\n    return 'hi ' + name\\n", "m.py", "exec")
    >>> [(c.qualname, c.kind, c.first_line, c.last_line) for c in walk(code)]
    [('<module>', 'module', 1, 2), ('greet', 'function', 1, 2)]
    >>> [(s.code, s.line, s.value) for s in strings(code) if s.code == "greet"]
    [('greet', 2, 'hi ')]

As a script (``python -I codeinfo.py FILE.pyc [--dis]``) it prints :func:`describe` of
the file's body as JSON, so it must import only the standard library and run on every
Python ember supports (3.10+): it is also how a pyc of another Python is decoded, with
that Python.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass
from types import CodeType

# co_flags bits, stable since 3.0 (inspect.CO_*; not imported to keep the worker light).
CO_OPTIMIZED = 0x1
CO_VARARGS = 0x4
CO_VARKEYWORDS = 0x8
CO_GENERATOR = 0x20
CO_COROUTINE = 0x80
CO_ASYNC_GENERATOR = 0x200

# The pyc header's size (owned by ember.pyc.header, which this file, run standalone
# under any Python, cannot import; a test keeps the two equal).
HEADER_SIZE = 16

_COMPREHENSIONS = frozenset({"<listcomp>", "<setcomp>", "<dictcomp>", "<genexpr>"})

# The longest name or string constant reported whole. marshal shares one object among
# many references, so a 1 MB body can hold a 1 MiB name used 1,500 times: reported
# whole, that is 1.5 GB of output from a 1 MB file (issue 10, item 5).
MAX_TEXT = 1000

# The exit status of the worker when its report would exceed --max-bytes.
TOO_LARGE_STATUS = 4


def clip(text: str, limit: int = MAX_TEXT) -> str:
    """``text``, or its first ``limit`` characters and how long it really is.

    >>> clip("x" * 12, 5)
    'xxxxx... (12 characters)'
    """
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text):,} characters)"


def clip_all(texts: tuple[str, ...]) -> list[str]:
    """:func:`clip` of each, the same string clipped once: 200,000 references to one
    long name must not become 200,000 copies of its first MAX_TEXT characters."""
    memo: dict[str, str] = {}
    out = []
    for text in texts:
        short = memo.get(text)
        if short is None:
            short = memo[text] = clip(text)
        out.append(short)
    return out


@dataclass(frozen=True, slots=True)
class CodeInfo:
    """One code object: ``qualname`` as ``__qualname__`` would read, ``kind`` one of
    module/class/function/lambda/comprehension/code, and the source lines it spans
    (nested code included)."""

    qualname: str
    name: str
    kind: str
    first_line: int
    last_line: int
    flags: tuple[str, ...]
    argcount: int
    names: tuple[str, ...]
    locals: tuple[str, ...]

    def to_json(self) -> dict[str, object]:
        # Names come from an untrusted body: each is clipped (see MAX_TEXT).
        return {
            "qualname": clip(self.qualname),
            "name": clip(self.name),
            "kind": self.kind,
            "first_line": self.first_line,
            "last_line": self.last_line,
            "flags": list(self.flags),
            "argcount": self.argcount,
            "names": clip_all(self.names),
            "locals": clip_all(self.locals),
        }


@dataclass(frozen=True, slots=True)
class StringConst:
    """A str or bytes constant, the code object holding it and the line that first
    loads it (the definition line for a function's docstring; None for a constant
    that no instruction loads)."""

    code: str
    line: int | None
    value: str | bytes
    docstring: bool = False

    def to_json(self) -> dict[str, object]:
        is_bytes = isinstance(self.value, bytes)
        # A long value is cut to MAX_TEXT items (bytes stay a valid literal, so no
        # marker inside them); "length" then says how long it really is.
        value = self.value[:MAX_TEXT]
        out: dict[str, object] = {
            "code": clip(self.code),
            "line": self.line,
            "type": "bytes" if is_bytes else "str",
            # bytes as their repr: JSON has no bytes, and a repr round-trips.
            "value": repr(value) if is_bytes else value,
            "docstring": self.docstring,
        }
        if len(value) < len(self.value):
            out["length"] = len(self.value)
        return out


def _kind(code: CodeType, is_root: bool) -> str:
    if is_root:
        return "module"
    name = code.co_name
    if name == "<lambda>":
        return "lambda"
    if name in _COMPREHENSIONS:
        return "comprehension"
    if name.startswith("<"):
        return "code"  # e.g. 3.12's <generic parameters of ...>
    # Class bodies are the only non-root code the compiler leaves unoptimized.
    return "function" if code.co_flags & CO_OPTIMIZED else "class"


def _flags(code: CodeType) -> tuple[str, ...]:
    f = code.co_flags
    out = []
    if f & CO_ASYNC_GENERATOR:
        out.append("async generator")
    elif f & CO_COROUTINE:
        out.append("async")
    elif f & CO_GENERATOR:
        out.append("generator")
    if f & CO_VARARGS:
        out.append("*args")
    if f & CO_VARKEYWORDS:
        out.append("**kwargs")
    return tuple(out)


def _own_last_line(code: CodeType) -> int:
    """The last source line of this code object's own instructions. co_positions
    (3.11+) knows where multi-line expressions end; co_lines (3.10+) is the fallback."""
    last = code.co_firstlineno
    positions = getattr(code, "co_positions", None)
    if positions is not None:
        for _line, end_line, _col, _end_col in positions():
            if end_line is not None and end_line > last:
                last = end_line
        return last
    for _start, _end, line in code.co_lines():
        if line is not None and line > last:
            last = line
    return last


def _children(code: CodeType) -> list[CodeType]:
    return [c for c in code.co_consts if isinstance(c, CodeType)]


def iter_code(code: CodeType) -> Iterator[tuple[CodeType, str, bool]]:
    """Every code object in the tree, parents first, as ``(code, qualname, is_root)``.

    Iterative, not recursive: a hostile pyc can nest code objects deeper than the
    recursion limit. ``co_qualname`` is used where it exists (3.11+), else derived the
    way the compiler does (``outer.<locals>.inner``).
    """
    stack: list[tuple[CodeType, str, str, bool]] = [(code, "", "", True)]
    while stack:
        co, parent_qual, parent_kind, is_root = stack.pop()
        kind = _kind(co, is_root)
        if is_root:
            qual = co.co_name
        else:
            qual = getattr(co, "co_qualname", None) or _derive_qualname(
                co.co_name, parent_qual, parent_kind
            )
        yield co, qual, is_root
        # Reversed so that siblings come out in source order.
        for child in reversed(_children(co)):
            stack.append((child, qual, kind, False))


def _derive_qualname(name: str, parent_qual: str, parent_kind: str) -> str:
    if parent_kind == "module":
        return name
    if parent_kind == "class":
        return f"{parent_qual}.{name}"
    return f"{parent_qual}.<locals>.{name}"


def walk(code: CodeType) -> list[CodeInfo]:
    """Every code object in the tree, in source order, with the lines each spans
    (``last_line`` includes nested code: a class ends where its last method ends).

    >>> code = compile("class A:\\n    def f(self):\\n        pass\\n", "a.py", "exec")
    >>> [(c.qualname, c.kind, c.first_line, c.last_line) for c in walk(code)]
    [('<module>', 'module', 1, 3), ('A', 'class', 1, 3), ('A.f', 'function', 2, 3)]
    """
    entries = list(iter_code(code))
    index = {id(co): i for i, (co, _q, _r) in enumerate(entries)}
    last = [_own_last_line(co) for co, _q, _r in entries]
    # Children come after their parent, so one backward pass folds them upwards.
    for i in range(len(entries) - 1, -1, -1):
        for child in _children(entries[i][0]):
            j = index.get(id(child))
            if j is not None and last[j] > last[i]:
                last[i] = last[j]
    infos = []
    for (co, qual, is_root), end in zip(entries, last, strict=True):
        first = 1 if is_root else co.co_firstlineno
        infos.append(
            CodeInfo(
                qualname=qual,
                name=co.co_name,
                kind=_kind(co, is_root),
                first_line=first,
                last_line=max(end, first),
                flags=_flags(co),
                argcount=co.co_argcount + co.co_kwonlyargcount,
                names=tuple(co.co_names),
                locals=tuple(co.co_varnames),
            )
        )
    return infos


def _const_loads(code: CodeType) -> tuple[dict[int, int | None], set[int]]:
    """const index → line of its first load, and the indexes stored to ``__doc__``.
    Uses dis (hasconst covers LOAD_CONST, RETURN_CONST, KW_NAMES... per version);
    a bytecode dis cannot read yields no lines rather than an error."""
    import dis

    lines: dict[int, int | None] = {}
    docs: set[int] = set()
    try:
        spans = [(s, e, ln) for s, e, ln in code.co_lines()]
        instructions = list(dis.get_instructions(code))
    except Exception:  # noqa: BLE001 - hostile or odd bytecode: report strings without lines
        return lines, docs

    def line_at(offset: int) -> int | None:
        for start, end, line in spans:
            if start <= offset < end:
                return line
        return None

    for k, ins in enumerate(instructions):
        if ins.opcode in dis.hasconst and isinstance(ins.arg, int) and ins.arg not in lines:
            lines[ins.arg] = line_at(ins.offset)
            nxt = instructions[k + 1] if k + 1 < len(instructions) else None
            if nxt is not None and nxt.opname == "STORE_NAME" and nxt.argval == "__doc__":
                docs.add(ins.arg)
    return lines, docs


def _flatten(value: object) -> Iterator[str | bytes]:
    # Tuples and frozensets of constants (`x in ("a", "b")`) hold strings too.
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, (str, bytes)):
            yield v
        elif isinstance(v, (tuple, frozenset)):
            items = sorted(v, key=repr) if isinstance(v, frozenset) else list(v)
            stack.extend(reversed(items))


def strings(code: CodeType) -> list[StringConst]:
    """Every str and bytes constant in the tree, in code-object order, with the line
    that loads it. Docstrings are flagged (``-OO`` drops them; nothing drops the rest).

    Each (code object, line, value) is listed once. Some Pythons (3.10, 3.11) keep the
    parts of a folded constant tuple, e.g. annotation names, as dead constants that no
    instruction loads: a value also found loaded in the same code object is listed only
    there; the rest have ``line`` None.

    >>> code = compile('"doc"\\nKEY = b"k3y"\\n', "m.py", "exec")
    >>> [(s.line, s.value, s.docstring) for s in strings(code)]
    [(1, 'doc', True), (2, b'k3y', False)]
    """
    out: list[StringConst] = []
    for co, qual, is_root in iter_code(code):
        kind = _kind(co, is_root)
        loads, docs = _const_loads(co)
        found: dict[tuple[int | None, str | bytes, bool], None] = {}
        unloaded: list[str | bytes] = []
        for i, const in enumerate(co.co_consts):
            if isinstance(const, CodeType):
                continue
            line = loads.get(i)
            # A function's docstring is co_consts[0] and no instruction loads it.
            func_doc = i == 0 and kind == "function" and isinstance(const, str) and i not in loads
            if line is None and func_doc:
                line = co.co_firstlineno
            for value in _flatten(const):
                if line is None:
                    unloaded.append(value)
                else:
                    found[(line, value, func_doc or i in docs)] = None
        loaded = {(type(v), v) for _line, v, _doc in found}
        for value in unloaded:
            if (type(value), value) not in loaded:  # b"x" and "x" are different constants
                found.setdefault((None, value, False), None)
        out.extend(StringConst(qual, line, value, doc) for line, value, doc in found)
    return out


def rewrite_filenames(code: CodeType, filename: str) -> CodeType:
    """The same tree with ``co_filename`` set to ``filename`` in every code object,
    so tracebacks name a relative path instead of the build machine's absolute one.

    >>> code = compile("def f(): pass", "/home/me/app/m.py", "exec")
    >>> new = rewrite_filenames(code, "app/m.py")
    >>> {c.co_filename for c in [new, new.co_consts[0]]}
    {'app/m.py'}
    """
    consts = tuple(
        rewrite_filenames(c, filename) if isinstance(c, CodeType) else c for c in code.co_consts
    )
    return code.replace(co_filename=filename, co_consts=consts)


class TooLarge(Exception):
    """The report would be longer than the budget the parent allows."""


class _BoundedText:
    """A text sink that refuses to grow past ``limit`` characters (dis writes here:
    it repeats a name at every instruction that uses it)."""

    def __init__(self, limit: int) -> None:
        self.parts: list[str] = []
        self.left = limit

    def write(self, text: str) -> int:
        self.left -= len(text)
        if self.left < 0:
            raise TooLarge
        self.parts.append(text)
        return len(text)


def describe(
    code: CodeType, *, disassemble: bool = False, max_chars: int | None = None
) -> dict[str, object]:
    """Everything ``ember inspect`` shows about a body, as JSON-ready data. Raises
    :class:`TooLarge` when the disassembly alone exceeds ``max_chars``."""
    out: dict[str, object] = {
        "python": ".".join(map(str, sys.version_info[:3])),
        "filename": clip(code.co_filename),
        "codes": [c.to_json() for c in walk(code)],
        "strings": [s.to_json() for s in strings(code)],
        "dis": None,
    }
    if disassemble:
        import dis

        buf = _BoundedText(sys.maxsize if max_chars is None else max_chars)
        dis.dis(code, file=buf)  # type: ignore[arg-type]
        out["dis"] = "".join(buf.parts)
    return out


def encode_bounded(data: object, max_bytes: int) -> bytes:
    """``data`` as JSON (UTF-8), or :class:`TooLarge` once it passes ``max_bytes``,
    without ever holding more than that."""
    import json

    chunks: list[bytes] = []
    left = max_bytes
    for piece in json.JSONEncoder().iterencode(data):
        chunk = piece.encode("utf-8")
        left -= len(chunk)
        if left < 0:
            raise TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _main(argv: list[str]) -> int:
    """Worker entry: ``codeinfo.py FILE.pyc [--dis] [--max-bytes N]`` → JSON on
    stdout; exit 3 with one line on stderr when the body is not a code object, exit
    TOO_LARGE_STATUS when the JSON would pass N bytes."""
    import marshal

    path = argv[0]
    max_bytes = sys.maxsize
    if "--max-bytes" in argv:
        max_bytes = int(argv[argv.index("--max-bytes") + 1])
    with open(path, "rb") as f:
        data = f.read()
    try:
        code = marshal.loads(memoryview(data)[HEADER_SIZE:])
    except Exception as exc:  # noqa: BLE001 - any failure is "corrupt body"
        why = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        sys.stderr.write(f"does not unmarshal ({why})\n")
        return 3
    if not isinstance(code, CodeType):
        sys.stderr.write(f"the body is a {type(code).__name__}, not a code object\n")
        return 3
    try:
        data = describe(code, disassemble="--dis" in argv[1:], max_chars=max_bytes)
        text = encode_bounded(data, max_bytes)
    except TooLarge:
        sys.stderr.write(f"too large to show (its report is over {max_bytes:,} bytes)\n")
        return TOO_LARGE_STATUS
    sys.stdout.buffer.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))

"""Line-table debug info for ``ember explain``: each statement's instructions carry the
source line they came from (a ``DILocation``), which survives optimisation and becomes
``.loc`` directives in the assembly. Only explain asks for it: cached code has none (no
DWARF sections, and no effect on the code itself).

llvmlite.ir only.
"""

from __future__ import annotations

import os

import llvmlite.ir as ir

from ember.diagnostics import Span


class DebugLines:
    """The compile unit, file and module flags of one module, and its locations."""

    def __init__(self, module: ir.Module, path: str) -> None:
        self.module = module
        self.file = module.add_debug_info("DIFile", {
            "filename": os.path.basename(path), "directory": os.path.dirname(path) or "."})
        self.unit = module.add_debug_info("DICompileUnit", {
            "language": ir.DIToken("DW_LANG_Python"), "file": self.file, "producer": "ember",
            "isOptimized": True, "runtimeVersion": 0,
            "emissionKind": ir.DIToken("LineTablesOnly")}, is_distinct=True)
        module.add_named_metadata("llvm.dbg.cu", self.unit)
        i32 = ir.IntType(32)
        module.add_named_metadata("llvm.module.flags", [
            i32(2), "Debug Info Version", i32(3)])
        self._types = module.add_debug_info("DISubroutineType", {
            "types": module.add_metadata([])})

    def subprogram(self, fn: ir.Function, name: str, line: int) -> ir.DIValue:
        """Attach a subprogram (the scope of its locations) to ``fn``."""
        sp = self.module.add_debug_info("DISubprogram", {
            "name": name, "file": self.file, "line": line, "type": self._types,
            "scopeLine": line, "unit": self.unit,
            "spFlags": ir.DIToken("DISPFlagDefinition | DISPFlagOptimized")},
            is_distinct=True)
        fn.set_metadata("dbg", sp)
        return sp

    def location(self, scope: ir.DIValue, span: Span) -> ir.DIValue:
        return self.module.add_debug_info("DILocation", {
            "line": span.line, "column": span.col + 1, "scope": scope})

"""One module per CLI subcommand: ``configure(parser)`` and ``main(args) -> int``."""

# name -> one-line summary; the module is ember.commands.<name with - as _>.
COMMANDS: dict[str, str] = {
    "tour": "walk through both layers on a bundled example app",
    "build": "compile every .py under PATHs to its __pycache__ .pyc, in parallel",
    "status": "say, for each source, whether the importer would use its cache and why",
    "clean": "remove cache files (all, stale or orphaned) and empty __pycache__ folders",
    "inspect": "decode a .pyc: header, verdict, code objects, disassembly, strings",
    "run": "run a script (or -m module) like python does, loading it from its cache",
    "startup": "measure start-up cold vs warm and the imports that dominate it",
    "dist": "make a sourceless, single-Python copy of a package or app",
    "explain": "show every compile stage of a @jit function: source, types, LLVM IR, asm",
}

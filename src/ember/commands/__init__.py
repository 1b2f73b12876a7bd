"""One module per CLI subcommand: ``configure(parser)`` and ``main(args) -> int``."""

"""The bytecode layer: build, check, inspect and run from ``__pycache__``."""

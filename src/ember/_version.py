"""ember's version, in a module of its own: the native cache key reads it without
importing the package's public API."""

__version__ = "0.1.0"

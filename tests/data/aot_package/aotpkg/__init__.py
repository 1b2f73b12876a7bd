"""A sample package: kernels compiled ahead of time, used from plain Python."""

from aotpkg.kernels import SCALE, clamp, norm2, steps

__all__ = ["SCALE", "clamp", "norm2", "steps"]

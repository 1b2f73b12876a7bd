"""The native layer in one screen: a float kernel run by CPython and by @ember.jit.

    $ python examples/native/demo.py
    mandelbrot 200x200, 100 iterations
      CPython   ... ms
      ember     ... ms   (... x faster; first call ... ms incl. compile or cache load)

Run it twice: the second process loads the compiled code from the native cache.
"""

from __future__ import annotations

import time

from ember import jit


def mandelbrot(width: int, height: int, max_iter: int) -> int:
    """How many points of a width x height grid stay bounded: nested loops, floats,
    a while loop with break."""
    inside = 0
    for py in range(height):
        y0 = -1.5 + 3.0 * py / height
        for px in range(width):
            x0 = -2.0 + 3.0 * px / width
            x = 0.0
            y = 0.0
            i = 0
            while i < max_iter:
                x2 = x * x
                y2 = y * y
                if x2 + y2 > 4.0:
                    break
                y = 2.0 * x * y + y0
                x = x2 - y2 + x0
                i += 1
            if i == max_iter:
                inside += 1
    return inside


def best_of(runs: int, fn, *args) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    best, result = float("inf"), None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn(*args)
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> None:
    args = (200, 200, 100)
    start = time.perf_counter()
    compiled = jit(mandelbrot)  # annotated: compiled (or loaded from the cache) right here
    native_result = compiled(*args)
    first = time.perf_counter() - start
    py_time, py_result = best_of(1, mandelbrot, *args)
    native_time, _ = best_of(5, compiled, *args)
    assert native_result == py_result, (native_result, py_result)
    print(f"mandelbrot {args[0]}x{args[1]}, {args[2]} iterations: {py_result} points inside")
    print(f"  CPython  {py_time * 1e3:9.2f} ms")
    print(
        f"  ember    {native_time * 1e3:9.2f} ms   ({py_time / native_time:.0f}x faster; "
        f"compile or cache load + first call: {first * 1e3:.0f} ms)"
    )


if __name__ == "__main__":
    main()

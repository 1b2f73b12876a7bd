"""A small numeric program of the kind people ask "should I compile this?" about: a
Monte Carlo estimate, a smoothing pass, a report written to disk and a tally.

    $ ember profile examples/profile/simulate.py

says which functions are worth compiling with ember (and by how much), and why not the
others. Runs in about a second under plain Python; its output is the same every run.
"""

import os
import random
import sys
import tempfile

import numpy as np


def estimate_pi(n, seed):
    """Pure-Python arithmetic in a loop: what compiling is for."""
    state = seed
    inside = 0
    for _ in range(n):
        state = (state * 1103515245 + 12345) % (1 << 31)
        x = state / (1 << 31)
        state = (state * 1103515245 + 12345) % (1 << 31)
        y = state / (1 << 31)
        if x * x + y * y <= 1.0:
            inside += 1
    return 4.0 * inside / n


def smooth(signal):
    """Already vectorised: NumPy does the work."""
    out = signal
    for _ in range(40):
        out = np.convolve(out, np.ones(5) / 5, mode="same")
    return float(out.sum())


def write_report(path, rows):
    """I/O: compiling cannot make the disk faster."""
    with open(path, "w") as f:
        for i in range(rows):
            f.write(f"{i},{i * i}\n")
            f.flush()
    return os.path.getsize(path)


def tally(words):
    """A dict of counts: not something ember compiles (yet)."""
    counts = {}
    for w in words:
        counts[w] = counts.get(w, 0) + 1
    return max(counts.values())


def main():
    rng = random.Random(7)
    words = [rng.choice(("ember", "llvm", "numpy", "pyc")) for _ in range(200_000)]
    signal = np.sin(np.linspace(0.0, 50.0, 200_000))
    with tempfile.TemporaryDirectory() as tmp:
        size = write_report(os.path.join(tmp, "report.csv"), 20_000)
    print(f"pi ~ {estimate_pi(1_000_000, 42):.4f}")
    print(f"smoothed sum {smooth(signal):.3f}, report {size} bytes, top count {tally(words)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

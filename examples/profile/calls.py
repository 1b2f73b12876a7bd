"""A call-heavy program: a loop calling small functions a million times, the case
where a profiler's cost per call matters most.

    $ ember profile examples/profile/calls.py

On Python 3.12+ ember times the first calls of ``clamp`` and ``score`` exactly, then
stops their events and samples them (their calls show as ``500+``).
"""


def clamp(x, lo, hi):
    return lo if x < lo else hi if x > hi else x


def score(i, state):
    return clamp((i * 7919 + state) % 1013 - 500, -250, 250)


def walk(n):
    state = 0
    total = 0
    for i in range(n):
        state = (state * 31 + score(i, state)) % 1_000_003
        total += state % 7
    return total


if __name__ == "__main__":
    print(walk(1_000_000))

"""Functions with inner defs, lambdas and function arguments, loaded twice by
test_closures.py: once with ``jit`` the identity (the interpreter's answer) and once
with ``ember.jit`` (the same source compiled)."""

jit = None  # set by the loader before the body runs  # noqa: F821


@jit  # type: ignore[misc]
def sq(x):
    return x * x


@jit  # type: ignore[misc]
def apply(f, x):
    return f(x)


@jit  # type: ignore[misc]
def apply_twice(f, x):
    return f(f(x))


@jit  # type: ignore[misc]
def power_sum(n, p):
    def term(i):
        return i ** p
    s = 0
    for i in range(n):
        s += term(i)
    return s


@jit  # type: ignore[misc]
def rebound(a):
    b = a
    def g(x):
        return x + b
    first = g(1)
    b = a * 2  # a cell: the call below sees the new value
    return first * 1000 + g(1)


@jit  # type: ignore[misc]
def lambdas(x, k):
    scale = lambda y: y * k  # noqa: E731
    shifted = lambda y, z=3: scale(y) + z  # noqa: E731
    return shifted(x) + (lambda q: q - k)(x) + apply(lambda y: y + 1, x)


@jit  # type: ignore[misc]
def passed(x, a):
    def inc(y):
        return y + a
    return apply(sq, x) + apply_twice(inc, x) + apply(inc, a)


@jit  # type: ignore[misc]
def factorial(n):
    def fact(k):
        if k <= 1:
            return 1
        return k * fact(k - 1)
    return fact(n)


@jit  # type: ignore[misc]
def nested(x, y):
    def outer(a):
        def inner(b):
            return a * b + x
        return inner(y) + inner(1)
    return outer(3)


@jit  # type: ignore[misc]
def keywords(x):
    def g(a, b=2, *, c=3):
        return a * 100 + b * 10 + c
    return g(x) + g(x, c=5) + g(b=1, a=x)


@jit  # type: ignore[misc]
def divides(x, d):
    def q(y):
        return y // d
    return q(x)

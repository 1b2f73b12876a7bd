"""A @jit helper in another module: the extension holds its code too."""

import ember


@ember.jit
def square(x):
    return x * x

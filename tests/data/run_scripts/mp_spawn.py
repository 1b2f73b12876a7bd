import multiprocessing as mp
import sys


def square(x):
    return x * x


class Box:
    def __init__(self, v):
        self.v = v


def unbox(b):
    return b.v + 1


if __name__ == "__main__":
    ctx = mp.get_context("spawn")
    with ctx.Pool(2) as pool:
        print(pool.map(square, range(5)))
        print(pool.map(unbox, [Box(1), Box(2)]))
    print("main:", __name__, sys.argv[1:])
else:
    # The spawned child re-imports this file by path as __mp_main__.
    assert __name__ == "__mp_main__", __name__

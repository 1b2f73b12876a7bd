import neighbour


def outer():
    try:
        {}["missing"]
    except KeyError as exc:
        raise RuntimeError("while handling a lookup") from exc


try:
    outer()
except RuntimeError:
    neighbour.explode(2)

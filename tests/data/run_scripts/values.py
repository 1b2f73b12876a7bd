"""Print what a main script can see of how it was started, as JSON."""
import json
import sys
import warnings

import neighbour


def annotated(a: int) -> None:
    pass


warnings.warn("main-module deprecation", DeprecationWarning)
print(json.dumps({
    "argv": sys.argv,
    "path0": sys.path[0],
    "file": __file__,
    "name": __name__,
    "cached": __cached__,
    "spec": repr(__spec__),
    "package": __package__,
    "doc": __doc__,
    "loader": type(__loader__).__name__,
    "loader_name": __loader__.name,
    "builtins": type(__builtins__).__name__,
    "globals": sorted(k for k in globals() if k.startswith("__")),
    "main_is_me": sys.modules["__main__"].__dict__ is globals(),
    "annotations": repr(annotated.__annotations__),
    "neighbour": neighbour.WHERE,
    "co_filename": sys._getframe().f_code.co_filename,
}, indent=1))

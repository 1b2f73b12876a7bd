import sys

from . import GREETING
from .helpers import shout

print(shout(GREETING), __name__, __package__, sys.argv[1:])
print(__file__.endswith("__main__.py"), __spec__.name)

import sys

print("appdir main", __name__, sys.argv, sys.path[0])

import sys

print("before exit")
how = sys.argv[1]
if how == "int":
    sys.exit(int(sys.argv[2]))
if how == "str":
    sys.exit("a message to stderr")
if how == "none":
    sys.exit()
if how == "keyboard":
    raise KeyboardInterrupt
print("fell off the end")

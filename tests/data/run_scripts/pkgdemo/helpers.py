import sys


def shout(text):
    return text.upper()


if __name__ == "__main__":
    print("helpers as main", sys.argv[1:], __spec__.name)
    raise SystemExit(3)

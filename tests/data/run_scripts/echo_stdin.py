import sys

data = sys.stdin.read()
sys.stdout.write(data.upper())
sys.stderr.write(f"read {len(data)} characters\n")

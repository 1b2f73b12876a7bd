"""``python -m ember``: the same entry point as the ``ember`` console script."""

import sys

from ember.cli import main

sys.exit(main())

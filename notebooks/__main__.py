"""``python -m notebooks [NUMBER ...] [--check] [--links]``: run the lessons, store outputs."""

import sys

from notebooks.build import main

sys.exit(main())

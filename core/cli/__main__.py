"""`python -m pricesync.core.cli`, the same as `pricesync`."""

import sys

from . import main

sys.exit(main())

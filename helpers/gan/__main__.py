"""``python -m helpers.gan``: see :mod:`helpers.gan.cli` (``--help``)."""

import sys

from helpers.gan.cli import main

if __name__ == "__main__":
    sys.exit(main())

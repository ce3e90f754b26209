"""`python -m bench.soak`: run the soak (see the package docstring)."""

import sys

from bench.soak.cli import main

sys.exit(main())

"""`python -m compiler` is the `saddle` command."""

import sys

from compiler.cli import main

sys.exit(main())

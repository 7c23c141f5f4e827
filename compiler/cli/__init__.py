"""The `saddle` command line: one module per subcommand, `main.py` runs them.

Each subcommand module holds `NAME`, `HELP`, `add_arguments(parser)` and `run(args) -> int`;
`main.COMMANDS` lists them in help order. Adding a subcommand is one module and one line.
"""

from compiler.cli.common import parse_params
from compiler.cli.main import main

__all__ = ["main", "parse_params"]

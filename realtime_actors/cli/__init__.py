"""The ``realtime-actors`` command line (``python -m realtime_actors``), a module per subcommand."""

from __future__ import annotations

from .app import build_parser, main
from .common import EXIT_FAILURE, EXIT_OK, EXIT_USAGE, CliError

__all__ = ["EXIT_FAILURE", "EXIT_OK", "EXIT_USAGE", "CliError", "build_parser", "main"]

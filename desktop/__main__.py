"""`python -m desktop [HOME]`: the desktop app without going through the CLI."""

import sys

from desktop.app import run

sys.exit(run(sys.argv[1] if len(sys.argv) > 1 else None))

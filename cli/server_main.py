"""`safecard-server`: the central sync server arrives with the sync issue (DESIGN.md §7).

Until then the command exists, so scripts and packaging can rely on its name, and it says
plainly that this release has no server, with exit code 2 and no traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from forms.i18n import tr


def main(argv: Sequence[str] | None = None) -> int:
    sys.stderr.write(f"safecard-server: {tr('error.no_server_yet')}\n")
    return 2


if __name__ == "__main__":
    raise SystemExit(main())

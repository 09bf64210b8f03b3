"""The workstation bundle's program: the `safecard` command, which opens the window when
given no command (PyInstaller freezes this file; packaging/safecard.spec)."""

from cli.main import main

raise SystemExit(main())

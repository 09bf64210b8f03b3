"""The token in a real Secret Service keyring (gnome-keyring under its own D-Bus session).

Skipped where gnome-keyring or dbus-run-session is not installed; everything else about
credentials is tested with the in-memory backend (test_credentials.py).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = """
import keyring, sys
from pathlib import Path
from sync.credentials import Credentials
kind = type(keyring.get_keyring()).__module__
creds = Credentials(Path(sys.argv[1]))
creds.save("https://srv", "ivanov", "real-secret")
files = sorted(p.name for p in Path(sys.argv[1]).iterdir())
print(kind, creds.load("https://srv", "ivanov"), files)
"""


@pytest.mark.skipif(not (shutil.which("dbus-run-session") and shutil.which("gnome-keyring-daemon")),
                    reason="gnome-keyring / dbus-run-session not installed")
def test_the_token_round_trips_through_a_real_secret_service(tmp_path: Path) -> None:
    script = tmp_path / "probe.py"
    script.write_text(SCRIPT, "utf-8")
    home = tmp_path / "home"
    home.mkdir()
    shell = ("echo -n pw | gnome-keyring-daemon --unlock --components=secrets >/dev/null; "
             f"{sys.executable} {script} {home}")
    done = subprocess.run(["dbus-run-session", "--", "bash", "-c", shell], capture_output=True,
                          text=True, timeout=60, check=False,
                          cwd=Path(__file__).parents[2],
                          env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    kind, token, files = done.stdout.split(maxsplit=2)
    assert kind == "keyring.backends.SecretService"
    assert token == "real-secret" and files.strip() == "[]"  # nothing written to the home

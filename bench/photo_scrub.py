"""Scrubbing a large photo (forms/photos.py) against a small one: time and peak memory.

A 49-megapixel JPEG (8100×6050, the issue's case) and a 0.5-megapixel one are each scrubbed
in a fresh child process, which prints its wall time and peak RSS; the figures are the
large photo's, the baseline the small one's. Before reduced decoding the large one cost
about 600 MB more than the small one. Not a test: prints its figures.

    .venv/bin/python bench/photo_scrub.py
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

from _result import report

ROOT = Path(__file__).resolve().parents[1]
TARGET_EXTRA_MB = 150
MAKE = ("import sys; from PIL import Image; w, h = int(sys.argv[2]), int(sys.argv[3]); "
        "Image.effect_noise((w // 8, h // 8), 40).convert('RGB').resize((w, h))"
        ".save(sys.argv[1], 'JPEG', quality=85)")
SCRUB = ("import json, resource, sys, time; from pathlib import Path; "
         "from forms import photos; t = time.perf_counter(); photos.scrub(Path(sys.argv[1])); "
         "print(json.dumps({'s': time.perf_counter() - t, "
         "'mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))")


def scrub(path: Path) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-c", SCRUB, str(path)], cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        big, small = Path(tmp) / "big.jpg", Path(tmp) / "small.jpg"
        for path, (w, h) in ((big, (8100, 6050)), (small, (800, 600))):
            subprocess.run([sys.executable, "-c", MAKE, str(path), str(w), str(h)], check=True)
        large, baseline = scrub(big), scrub(small)
    extra = large["mb"] - baseline["mb"]
    print("scrub of a photo (decode, upright, ≤ 2048 px, JPEG without metadata)")
    print(f"  0.5 MP   {baseline['s']:6.2f} s   peak RSS {baseline['mb']:6.0f} MB")
    print(f"  49 MP    {large['s']:6.2f} s   peak RSS {large['mb']:6.0f} MB   "
          f"(+{extra:.0f} MB; target <= +{TARGET_EXTRA_MB} MB)")
    report("scrub 49 MP photo, peak RSS", large["mb"], "MB", baseline="0.5 MP photo",
           baseline_value=baseline["mb"], target=f"<= +{TARGET_EXTRA_MB} MB",
           met=extra <= TARGET_EXTRA_MB)
    report("scrub 49 MP photo, time", large["s"], "s", baseline="0.5 MP photo",
           baseline_value=baseline["s"])


if __name__ == "__main__":
    main()

"""The worked examples run as users run them (a subprocess of this Python)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

#: Sanity floors, well below the measured overall ROC AUC on the test meters
#: (5 000 meters x 24 months, seed 7: IsolationForest 0.855,
#: HistGradientBoosting 0.891). A broken feature, label join or split falls to
#: about 0.5.
FLOOR_ISOLATION_FOREST = 0.65
FLOOR_SUPERVISED = 0.70


def test_detect_example_prints_auc_table() -> None:
    run = subprocess.run(
        [sys.executable, str(REPO / "examples" / "python" / "detect.py")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    assert "IsolationForest" in run.stdout and "HistGradientBoosting" in run.stdout
    m = re.search(r"^\s*overall\s+(\d+)\s+([0-9.]+)\s+([0-9.]+)\s*$", run.stdout, re.MULTILINE)
    assert m, run.stdout
    test_meters, iso, supervised = int(m.group(1)), float(m.group(2)), float(m.group(3))
    assert test_meters > 0
    assert iso > FLOOR_ISOLATION_FOREST, run.stdout
    assert supervised > FLOOR_SUPERVISED, run.stdout
    # One row per anomaly type present in the test split, before the overall row.
    rows = re.findall(r"^\s*([a-z_]+)\s+\d+\s+[0-9.]+\s+[0-9.]+\s*$", run.stdout, re.MULTILINE)
    assert len(rows) >= 5 and rows[-1] == "overall"

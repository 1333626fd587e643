"""The short version of ``benchmarks/crash_safety.py``: 10 SIGKILLs of cache and output writers."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
@pytest.mark.skipif(sys.platform != "linux", reason="fork and SIGKILL")
def test_sigkilled_writers_leave_a_sound_cache_and_whole_outputs():
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "crash_safety.py"), "--kills", "10",
                           "--per-job", "100", "--no-write", "--seed", "1"],
                          capture_output=True, text=True, timeout=600, cwd=ROOT)
    figures = dict(line.split(None, 1) for line in proc.stdout.splitlines() if " " in line.strip())
    assert proc.returncode == 0 and proc.stdout.strip().endswith("PASS"), proc.stdout + proc.stderr[-3000:]
    assert int(figures["kills"]) >= 10
    assert figures["integrity_check"] == "ok" and figures["integrity_check_after_reruns"] == "ok"
    assert figures["entries_wrong"] == "0" and figures["entries_not_from_the_pool"] == "0"
    assert figures["outputs_half_written"] == "0" and figures["reruns_different"] == "0"
    assert int(figures["reruns_identical_to_clean"]) == int(figures["writers_started"])

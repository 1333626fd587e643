"""No code of the project reads the acceptance holdout."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_nothing_reads_the_holdout():
    needle = "shared/" + "holdout"
    hits = [str(p.relative_to(ROOT)) for folder in ("src", "tests", "benchmarks", "scripts")
            for p in (ROOT / folder).rglob("*") if p.is_file() and p.suffix in {".py", ".yaml", ".csv", ".json", ".sh"}
            and needle in p.read_text(errors="ignore")]
    assert hits == []

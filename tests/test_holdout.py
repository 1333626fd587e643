"""Only two files of the project may touch the acceptance holdout, and each only as allowed.

(a) ``src/traitlens/training/pairs.py`` reads the item texts of ``mapping2.csv`` to exclude them (and
rewordings) from training pairs; it names no other holdout file. (b) ``benchmarks/holdout.py`` is the
acceptance benchmark, run once when every choice is final. Any other file that names the holdout
folder as a path component (quoted, or between slashes) fails this test.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = ("src", "tests", "benchmarks", "scripts")
SUFFIXES = {".py", ".yaml", ".yml", ".csv", ".json", ".sh", ".toml", ".cfg", ".ipynb"}
#: The holdout folder as a path component: quoted, or between slashes.
PATTERN = re.compile(r"[\"'/\\]" + "hold" + "out" + r"[\"'/\\]")
TRAINING_DATA = "src/traitlens/training/pairs.py"
ALLOWED = {TRAINING_DATA, "benchmarks/holdout.py"}
#: The holdout's files other than mapping2.csv: the training-data module must name none of them.
OTHER_HOLDOUT_FILES = ("human.csv", "item_pair_correlations.csv", "scales.csv")


def _users() -> list[str]:
    return sorted(str(p.relative_to(ROOT).as_posix()) for folder in FOLDERS for p in (ROOT / folder).rglob("*")
                  if p.is_file() and p.suffix in SUFFIXES and PATTERN.search(p.read_text(errors="ignore")))


def test_only_the_allowed_files_name_the_holdout():
    assert [path for path in _users() if path not in ALLOWED] == []


def test_the_training_data_module_reads_only_the_holdout_item_texts():
    text = (ROOT / TRAINING_DATA).read_text()
    assert PATTERN.search(text), "the training data must exclude the holdout items"
    assert "mapping2.csv" in text
    assert 'usecols=["item_text"]' in text
    assert not [name for name in OTHER_HOLDOUT_FILES if name in text]


def test_the_pattern_catches_the_ways_of_naming_the_holdout():
    hold = "hold" + "out"
    for text in (f"open('../shared/{hold}/human.csv')", f"Path(d).parent / '{hold}' / 'x.csv'",
                 f'os.path.join(root, "{hold}", "scales.csv")', f'"../{hold}/mapping2.csv"'):
        assert PATTERN.search(text), text
    for text in ("the holdout benchmark", "holdout_texts(data_dir)", "n_holdout = 3"):
        assert not PATTERN.search(text), text

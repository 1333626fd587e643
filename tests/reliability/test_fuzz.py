"""Property-based tests of every parser of user input: only documented errors, and round trips.

The fuzz targets (``fuzz_targets.py``) are each run on a bounded number of hypothesis examples here;
``benchmarks/fuzz.py`` runs them for longer (coverage-guided with atheris). Below them: regression
tests for the crashes fuzzing found, and round-trip properties of the text readers.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import warnings
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from traitlens.errors import InputError
from traitlens.io.sources import MAX_YAML_NODES, load_yaml_with_lines
from traitlens.io.texts import MAX_TEXT_CHARS, prepare_texts, read_texts

from .fuzz_targets import run_target, targets

ROOT = Path(__file__).resolve().parents[2]
BOUNDED = settings(max_examples=30, deadline=None, database=None, suppress_health_check=list(HealthCheck))


@pytest.mark.parametrize("name", list(targets()))
def test_parser_raises_only_documented_errors(name):
    target = targets()[name]

    @BOUNDED
    @given(st.binary(max_size=600))
    def check(data: bytes) -> None:
        run_target(target, data)

    check()


# -- crashes found by fuzzing, now InputError ------------------------------------------------------------
@pytest.mark.parametrize(("text", "message"), [
    ("name: !!python/object x\n", r"line 1, column 7: invalid YAML value: could not determine a constructor"),
    ("a: !!int xyz\n", r"invalid YAML value: invalid literal"),
    ("a: 2001-13-45\n", r"invalid YAML value: month must be in 1..12"),
    ("? [a, b]\n: 1\n", r"a key must be a plain value"),
    ("a: &a [*a]\n", r"nests too deeply \(or an alias refers to itself\)"),
    ("[" * 3000, r"nests too deeply"),
])
def test_bad_yaml_values_are_input_errors(tmp_path, text, message):
    path = tmp_path / "t.yaml"
    path.write_text(text)
    with pytest.raises(InputError, match=message):
        load_yaml_with_lines(path)


def test_alias_bombs_are_refused(tmp_path):
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 7)]  # 10**7 values
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError, match=f"more than {MAX_YAML_NODES:,} values"):
        load_yaml_with_lines(path)


@pytest.mark.parametrize("payload", [None, 1.5, True, b"bytes", {"text": "a"}])
def test_payloads_that_are_not_lists_are_input_errors(payload):
    with pytest.raises(InputError, match="texts must be a list of strings"):
        prepare_texts(payload)  # type: ignore[arg-type]


# -- round trips -----------------------------------------------------------------------------------------
_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=40)


@BOUNDED
@given(st.lists(_TEXT, min_size=1, max_size=8))
def test_csv_and_jsonl_give_back_the_stripped_texts(tmp_path_factory, texts):
    expected = [t.strip() for t in texts if t.strip()]
    folder = tmp_path_factory.mktemp("rt")
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_ALL)  # 3.11 leaves a bare CR unquoted
    writer.writerow(["text", "other"])
    writer.writerows([t, "x"] for t in texts)
    (folder / "t.csv").write_text(buffer.getvalue(), encoding="utf-8")
    (folder / "t.jsonl").write_text("\n".join(json.dumps({"text": t}) for t in texts), encoding="utf-8")
    pd.DataFrame({"text": texts}).to_parquet(folder / "t.parquet")
    for name in ("t.csv", "t.jsonl", "t.parquet"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if not expected:
                with pytest.raises(InputError, match="no texts"):
                    read_texts(folder / name)
                continue
            got = read_texts(folder / name)
        assert got == [t if len(t) <= MAX_TEXT_CHARS else got[i] for i, t in enumerate(expected)], name


@BOUNDED
@given(st.lists(st.text(st.characters(blacklist_categories=("Cs", "Zl", "Zp", "Cc")), max_size=30), max_size=8))
def test_txt_lines_give_back_the_stripped_texts_with_their_lines(tmp_path_factory, lines):
    path = tmp_path_factory.mktemp("txt") / "t.txt"
    path.write_text("\n".join(lines), encoding="utf-8")
    kept = [line.strip() for line in "\n".join(lines).splitlines() if line.strip()]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if not kept:
            with pytest.raises(InputError):
                read_texts(path)
            return
        assert read_texts(path) == kept


@pytest.mark.slow
def test_fuzz_benchmark_runs_bounded_and_finds_nothing(tmp_path):
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "fuzz.py"), "--seconds", "2", "--engine",
                           "hypothesis", "--targets", "texts.csv,taxonomy.yaml_struct,api.payload_struct",
                           "--no-write"], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 distinct crash(es); engine hypothesis" in proc.stdout
    rows = {line.split()[0]: line.split() for line in proc.stdout.splitlines()[1:4]}
    assert all(int(row[1].replace(",", "")) > 0 for row in rows.values())

"""The shared shell of the commands: ``--out`` onto devices and ``-``, printing large tables."""

from __future__ import annotations

import io
import json
import os
import stat
import sys
import tracemalloc

import pandas as pd
import pytest

from traitlens.cli import shell


def test_out_dash_writes_to_stdout(run, loads, tmp_path, monkeypatch):
    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path / "work")
    result = run("similarity", "I like parties", "--out", "-", "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["results"][0]["sentence"] == "I like parties"
    assert list((tmp_path / "work").iterdir()) == [], "no file called '-', no sidecar"
    table = run("similarity", "I like parties", "-o", "-")
    assert table.exit_code == 0 and "I like parties" in table.stdout


def test_out_dev_null_keeps_the_device(run, loads):
    before = os.stat("/dev/null")
    for fmt in ([], ["--format", "csv"], ["--format", "json"]):
        result = run("similarity", "I like parties", "--out", "/dev/null", *fmt)
        assert result.exit_code == 0, result.stderr
    after = os.stat("/dev/null")
    assert stat.S_ISCHR(after.st_mode) and after.st_rdev == before.st_rdev
    assert not os.path.exists("/dev/null.meta.json")


def test_duplicate_texts_by_factor_one_row_per_occurrence_and_one_warning(run, loads, tmp_path):
    path = tmp_path / "texts.txt"
    path.write_text("I like parties\nI worry a lot\nI like parties\n")
    result = run("similarity", "--file", str(path), "--by", "factor", "--format", "csv")
    assert result.exit_code == 0, result.stderr
    rows = pd.read_csv(io.StringIO(result.stdout))
    assert list(rows["sentence"]) == ["I like parties"] * 5 + ["I worry a lot"] * 5 + ["I like parties"] * 5
    assert result.stderr.count("occur more than once") == 1


def _big(n: int) -> pd.DataFrame:
    return pd.DataFrame({"sentence": [f"text number {i}" for i in range(n)], "factor": "E",
                         "similarity": [i / n for i in range(n)]})


def test_large_table_streams_every_row_to_a_pipe(capsys):
    shell.print_any_table(_big(25_000))
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert "25,000 rows: printed as plain text" in err
    assert len(lines) == 2 + 25_000 and lines[2].startswith("text number 0 ")
    assert lines[-1] == "text number 24999  E           1.0000"


def test_large_table_on_a_terminal_is_summarised_like_pandas(capsys):
    shell.print_plain_table(_big(25_000), summarise=True)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 + 2 * shell.TERMINAL_ROWS + 1
    assert lines[2 + shell.TERMINAL_ROWS] == f"… {25_000 - 2 * shell.TERMINAL_ROWS:,} more rows …"
    assert lines[-1].startswith("text number 24999")


def test_printing_a_large_table_needs_little_more_memory_than_the_table(monkeypatch):
    frame = _big(200_000)
    monkeypatch.setattr(sys, "stdout", open(os.devnull, "w"))  # noqa: SIM115 - closed with the test's stdout
    tracemalloc.start()
    try:
        shell.print_plain_table(frame)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        sys.stdout.close()
    assert peak < 40e6, f"peak {peak / 1e6:.0f} MB while printing 200,000 rows"


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_emit_to_dash(capsys, fmt):
    frame = _big(3)
    frame.attrs["provenance"] = {"traitlens_version": "x"}
    shell.emit(frame, fmt, "-")  # type: ignore[arg-type]
    assert "text number 2" in capsys.readouterr().out


def test_language_and_duplicate_warnings_once_per_command(run, loads, tmp_path):
    german = "Ich gehe sehr gern auf Partys und treffe neue Leute."
    result = run("assign", german, german, "--plot", str(tmp_path / "a.html"))
    assert result.exit_code == 0, result.stderr
    assert result.stderr.count("may not be English") == 1
    assert result.stderr.count("occur more than once") == 1


def test_by_facet_without_facets_says_so(run, loads):
    result = run("similarity", "I like parties", "--by", "facet")
    assert result.exit_code == 1 and "the taxonomy has no facets" in result.stderr


def test_out_onto_the_text_file_fails_before_any_work(run, loads, tmp_path):
    texts = tmp_path / "texts.csv"
    texts.write_text("text\nI like parties\n")
    result = run("similarity", "--file", str(texts), "--out", str(texts))
    assert result.exit_code == 1 and "the output would replace the input file" in result.stderr
    assert loads == [] and texts.read_text() == "text\nI like parties\n"
    assert run("similarity", "--file", str(texts), "--out", str(tmp_path / "other.csv")).exit_code == 0


def test_a_format_that_the_suffix_contradicts_is_written_with_a_warning(run, loads, tmp_path):
    result = run("similarity", "I like parties", "--format", "json", "--out", str(tmp_path / "t.csv"))
    assert result.exit_code == 0 and "t.csv: writing json (--format) to a file named as csv" in result.stderr
    assert json.loads((tmp_path / "t.csv").read_text())["results"][0]["sentence"] == "I like parties"
    quiet = run("similarity", "I like parties", "--format", "json", "--out", str(tmp_path / "t.json"))
    assert quiet.exit_code == 0 and "warning" not in quiet.stderr


@pytest.mark.parametrize("command", [["correlate", "--id-column", "item"], ["similarity"], ["jingle-jangle"],
                                     ["factors"], ["short-form"]])
def test_a_folder_given_as_file_is_named_as_such(run, loads, tmp_path, command):
    """It had been called a file of no suffix, or a usage error about .csv files."""
    folder = tmp_path / "items"
    folder.mkdir()
    result = run(command[0], "--file", str(folder), *command[1:])
    assert result.exit_code == 1 and f"error: {folder}: is a folder, expected a file" in result.stderr
    assert loads == []


def test_an_error_of_the_system_is_one_line_not_a_traceback(run, loads, monkeypatch):
    """A folder that looks writable but is not (/sys as root), a full disk: exit 1 naming the file."""
    def fail(*args, **kwargs):
        raise PermissionError(13, "Permission denied", "/sys/kernel/o.csv")

    monkeypatch.setattr("traitlens.cli.shell.emit", fail)
    result = run("similarity", "I like parties")
    assert result.exit_code == 1 and "error: /sys/kernel/o.csv: permission denied" in result.stderr
    assert "Traceback" not in result.output

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pandas as pd
import pytest

from traitlens.errors import InputError
from traitlens.io.tables import (
    atomic_write,
    check_writable,
    format_from_suffix,
    is_stdout,
    output_kind,
    read_parquet_provenance,
    to_json_envelope,
    wants_sidecar,
    write_table,
)


def test_atomic_write_keeps_old_file_on_failure(tmp_path):
    path = tmp_path / "out.csv"
    path.write_text("old")
    with pytest.raises(RuntimeError), atomic_write(path) as fh:
        fh.write(b"half")
        raise RuntimeError("disk full")
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_write_formats_with_provenance(tmp_path):
    frame = pd.DataFrame({"sentence": ["a # b"], "similarity": [float("nan")]})
    prov = {"traitlens_version": "x", "model": {"id": "m", "fingerprint": "f", "dim": 3}}
    write_table(frame, tmp_path / "t.csv", provenance=prov)
    assert (tmp_path / "t.csv").read_text().splitlines() == ["sentence,similarity", "a # b,"]
    assert json.loads((tmp_path / "t.csv.meta.json").read_text())["provenance"] == prov
    write_table(frame, tmp_path / "t.json", provenance=prov)
    data = json.loads((tmp_path / "t.json").read_text())
    assert data == {"provenance": prov, "results": [{"sentence": "a # b", "similarity": None}]}
    write_table(frame, tmp_path / "t.parquet", provenance=prov)
    assert read_parquet_provenance(tmp_path / "t.parquet") == prov
    assert to_json_envelope(frame.set_index("sentence"), prov)["results"][0]["sentence"] == "a # b"


def test_provenance_with_nan_is_strict_json_in_every_format(tmp_path):
    """A provenance figure that is undefined (a silhouette of one cluster) is null, never a bare NaN."""
    import numpy as np

    frame = pd.DataFrame({"a": [1.0]})
    prov = {"silhouette": float("nan"), "grid": [np.float64("inf"), np.int64(3)], "n": {"k": np.float32(0.5)}}
    strict = {"silhouette": None, "grid": [None, 3], "n": {"k": 0.5}}

    def no_nan(token):
        raise AssertionError(f"not strict JSON: {token}")

    write_table(frame, tmp_path / "t.json", provenance=prov)
    assert json.loads((tmp_path / "t.json").read_text(), parse_constant=no_nan)["provenance"] == strict
    write_table(frame, tmp_path / "t.csv", provenance=prov)
    assert json.loads((tmp_path / "t.csv.meta.json").read_text(), parse_constant=no_nan)["provenance"] == strict
    write_table(frame, tmp_path / "t.parquet", provenance=prov)
    assert read_parquet_provenance(tmp_path / "t.parquet") == strict
    assert prov["silhouette"] != prov["silhouette"]  # the caller's provenance is left as it was


def test_write_errors(tmp_path):
    frame = pd.DataFrame({"a": [1]})
    with pytest.raises(InputError, match="cannot tell the format"):
        write_table(frame, tmp_path / "t.xlsx")
    with pytest.raises(InputError, match="does not exist"):
        write_table(frame, tmp_path / "missing" / "t.csv")


def _frame() -> pd.DataFrame:
    frame = pd.DataFrame({"sentence": ["a", "b"], "similarity": [0.5, 0.25]})
    frame.attrs["provenance"] = {"traitlens_version": "x"}
    return frame


def test_dev_null_stays_a_device_and_gets_no_sidecar():
    import stat

    before = os.stat("/dev/null")
    assert output_kind("/dev/null") == "stream" and not wants_sidecar("/dev/null")
    assert format_from_suffix(Path("/dev/null")) == "csv"
    write_table(_frame(), "/dev/null", "csv")
    write_table(_frame(), "/dev/null", "json")
    after = os.stat("/dev/null")
    assert stat.S_ISCHR(after.st_mode) and (after.st_ino, after.st_rdev) == (before.st_ino, before.st_rdev)
    assert not Path("/dev/null.meta.json").exists()


def test_fifo_is_written_straight_through(tmp_path):
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    write_table(_frame(), fifo)
    reader.join(timeout=10)
    assert got == [b"sentence,similarity\n" + b"a,0.5\nb,0.25\n"]
    assert fifo.is_fifo(), "the pipe must not be replaced by a regular file"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pipe.csv"], "no sidecar, no temporary file"


def test_symlink_is_followed_and_stays_a_link(tmp_path):
    real = tmp_path / "real" / "data.json"
    real.parent.mkdir()
    real.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    write_table(_frame(), link)
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert json.loads(real.read_text())["results"][1] == {"sentence": "b", "similarity": 0.25}
    dangling = tmp_path / "dangling.csv"
    dangling.symlink_to(tmp_path / "real" / "new.csv")
    write_table(_frame(), dangling)
    assert dangling.is_symlink() and (tmp_path / "real" / "new.csv").read_text().startswith("sentence,")
    assert not list(tmp_path.rglob("*.tmp"))


def test_dash_is_standard_output(capfdbinary):
    assert is_stdout("-") and output_kind("-") == "stdout" and not wants_sidecar("-")
    with atomic_write("-") as fh:
        fh.write(b"to stdout\n")
    assert capfdbinary.readouterr().out == b"to stdout\n"
    assert not Path("-").exists()


def test_a_folder_behind_a_link_is_refused(tmp_path):
    (tmp_path / "folder").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "folder")
    with pytest.raises(InputError, match="is a folder"):
        check_writable(tmp_path / "link")


def test_csv_sidecar_names_the_digest_of_its_csv(tmp_path):
    import hashlib

    path = tmp_path / "t.csv"
    write_table(_frame(), path)
    meta = json.loads((tmp_path / "t.csv.meta.json").read_text())
    assert meta["data"] == "t.csv" and meta["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert meta["provenance"] == {"traitlens_version": "x"}


def test_temporaries_of_killed_writers_are_removed_on_the_next_write(tmp_path):
    import subprocess
    import sys

    from traitlens.io.tables import atomic_write

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(dead.stdout)  # that process has exited
    target = tmp_path / "out.csv"
    stale = tmp_path / f".out.csv.{dead_pid}.abc123.tmp"
    live = tmp_path / f".out.csv.{os.getpid()}.def456.tmp"  # a writer that is still running
    other = tmp_path / f".other.csv.{dead_pid}.ghi789.tmp"  # another file's temporary
    for path in (stale, live, other):
        path.write_bytes(b"half")
    with atomic_write(target) as fh:
        fh.write(b"whole\n")
    assert target.read_bytes() == b"whole\n"
    assert not stale.exists()
    assert live.exists() and other.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["out.csv", live.name, other.name])


def test_negative_zero_is_written_as_zero(tmp_path):
    """A clipped score of -0.0 reads as a direction; it is written 0.0 in CSV and JSON."""
    frame = pd.DataFrame({"text": ["a", "b"], "score": [-0.0, -0.25]})
    write_table(frame, tmp_path / "t.csv", provenance={})
    assert (tmp_path / "t.csv").read_text().splitlines() == ["text,score", "a,0.0", "b,-0.25"]
    assert [row["score"] for row in to_json_envelope(frame, {})["results"]] == [0.0, -0.25]
    assert str(to_json_envelope(frame, {})["results"][0]["score"]) == "0.0"
    assert str(frame["score"].iloc[0]) == "-0.0"  # the caller's frame is left as it was

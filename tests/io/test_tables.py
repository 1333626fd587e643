from __future__ import annotations

import json

import pandas as pd
import pytest

from traitlens.errors import InputError
from traitlens.io.tables import atomic_write, read_parquet_provenance, to_json_envelope, write_table


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


def test_write_errors(tmp_path):
    frame = pd.DataFrame({"a": [1]})
    with pytest.raises(InputError, match="cannot tell the format"):
        write_table(frame, tmp_path / "t.xlsx")
    with pytest.raises(InputError, match="does not exist"):
        write_table(frame, tmp_path / "missing" / "t.csv")

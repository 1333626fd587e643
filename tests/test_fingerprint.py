from __future__ import annotations

import hashlib

from traitlens.fingerprint import content_fingerprint, files_fingerprint


def test_content_fingerprint_is_canonical_and_sensitive():
    assert content_fingerprint({"a": 1, "b": [1, 2]}) == content_fingerprint({"b": [1, 2], "a": 1})
    assert content_fingerprint({"a": 1}) != content_fingerprint({"a": 2})
    assert len(content_fingerprint({"a": 1})) == 12 and len(content_fingerprint({}, length=20)) == 20


def test_files_fingerprint_follows_names_and_bytes(tmp_path):
    (tmp_path / "w.bin").write_bytes(b"weights")
    (tmp_path / "c.json").write_text("{}")
    files = sorted(tmp_path.iterdir())
    first = files_fingerprint(tmp_path, files)
    expected = hashlib.sha256(b"c.json\0{}\0w.bin\0weights\0").hexdigest()[:16]
    assert first == expected
    (tmp_path / "w.bin").write_bytes(b"weightz")  # same size: the mtime/size memo must not hide the change
    import os

    os.utime(tmp_path / "w.bin", ns=(1, 1))
    assert files_fingerprint(tmp_path, files) != first

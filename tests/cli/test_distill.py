"""``traitlens distill``: builds the static backend once and prints its folder."""

from __future__ import annotations

from types import SimpleNamespace

from traitlens.encoders import backends


def test_distill_prints_the_folder_and_forces_again(run, monkeypatch, tmp_path):
    calls = []

    def fake_backend_encoder(base, backend, root=None):
        calls.append(("load", backend))
        return SimpleNamespace(folder=tmp_path / "static", dim=256, fingerprint="abc123")

    monkeypatch.setattr(backends, "backend_encoder", fake_backend_encoder)
    monkeypatch.setattr(backends, "ensure_export", lambda base, backend, root=None, force=False:
                        calls.append(("export", backend, force)))
    result = run("distill")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == str(tmp_path / "static")
    assert "256 dimensions, fingerprint abc123" in result.stderr and "--backend static" in result.stderr
    assert calls == [("load", "static")]
    assert run("distill", "--force").exit_code == 0
    assert calls[1:] == [("export", "static", True), ("load", "static")]


def test_distill_an_unknown_model_is_exit_1(run):
    result = run("distill", "--model", "/no/such/model-folder")
    assert result.exit_code == 1 and "does not exist" in result.stderr

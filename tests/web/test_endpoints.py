"""The endpoint registry: analyses that other parts of the package add are served where they exist, row for row."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from traitlens.cli import app as cli_app
from traitlens.web import endpoints as registry
from traitlens.web.app import create_app

from ..fakes import FakeEncoder


def has(module: str, name: str) -> bool:
    try:
        return hasattr(__import__(module, fromlist=[name]), name)
    except ImportError:
        return False


def cli_json(monkeypatch, *args: str) -> dict:
    monkeypatch.setattr("traitlens.cli.shell.load_model", lambda model, settings: FakeEncoder())
    result = CliRunner().invoke(cli_app, [*args, "--format", "json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def same_provenance(a: dict, b: dict) -> None:
    assert {k: v for k, v in a.items() if k != "created"} == {k: v for k, v in b.items() if k != "created"}


def test_every_analysis_is_one_endpoint():
    names = [e.name for e in registry.endpoints()]
    assert names[:7] == ["similarity", "profile", "assign", "loadings", "infer-keys", "correlate", "predict-scales"]
    assert len(names) == len(set(names))


def test_a_missing_optional_analysis_leaves_the_app_working(monkeypatch, pool):
    monkeypatch.setattr(registry, "OPTIONAL", [("traitlens.not_written_yet", "analysis", lambda f: None),
                                               ("traitlens.api", "no_such_function", lambda f: None)])
    client = TestClient(create_app(pool))
    assert "explain" not in client.get("/health").json()["endpoints"]
    assert client.post("/api/explain", json={"text": "x"}).status_code in (404, 405)
    assert client.post("/api/profile", json={"texts": ["x y"]}).status_code == 200


@pytest.mark.skipif(not has("traitlens.api", "jingle_jangle"), reason="traitlens.jingle_jangle is not there yet")
@pytest.mark.parametrize("all_pairs", [False, True])
def test_jingle_jangle_is_the_cli_json(monkeypatch, client, all_pairs):
    expected = cli_json(monkeypatch, "jingle-jangle", "--inventory", "ipip50", *(["--all"] if all_pairs else []))
    got = client.post("/api/jingle-jangle", json={"scales": "ipip50", "all_pairs": all_pairs}).json()
    assert got["results"] == expected["results"]
    same_provenance(got["provenance"], expected["provenance"])


@pytest.mark.skipif(not has("traitlens.api", "jingle_jangle"), reason="traitlens.jingle_jangle is not there yet")
def test_jingle_jangle_of_posted_rows(client):
    rows = [{"scale": s, "label": label, "text": t} for s, label, texts in [
        ("a", "Anxiety", ["I worry a lot.", "I get nervous."]), ("b", "Worry", ["I fret about things.", "I am tense."]),
        ("c", "Sociability", ["I love parties.", "I talk to strangers."])] for t in texts]
    got = client.post("/api/jingle-jangle", json={"scales": rows, "all_pairs": True})
    assert got.status_code == 200, got.text
    assert {(r["scale_a"], r["scale_b"]) for r in got.json()["results"]} == {("a", "b"), ("a", "c"), ("b", "c")}


@pytest.mark.skipif(not has("traitlens.api", "factors"), reason="traitlens.factors is not there yet")
def test_factors_is_the_cli_json(monkeypatch, client):
    expected = cli_json(monkeypatch, "factors", "--inventory", "bfi", "--n-factors", "5", "--method", "cosine")
    got = client.post("/api/factors", json={"items": "bfi", "n_factors": 5, "method": "cosine"}).json()
    assert got["results"] == expected["results"]
    same_provenance(got["provenance"], expected["provenance"])


@pytest.mark.skipif(not has("traitlens.api", "factors"), reason="traitlens.factors is not there yet")
def test_factors_of_posted_items_takes_keys_and_key_options(monkeypatch, client, tmp_path):
    rows = [{"text": t, "item": f"i{n}", "scale": s, "key": k} for n, (t, s, k) in enumerate([
        ("I talk a lot.", "E", 1), ("I keep quiet.", "E", -1), ("I love parties.", "E", 1),
        ("I worry a lot.", "N", 1), ("I am calm.", "N", -1), ("I get nervous.", "N", 1)])]
    keyed = client.post("/api/factors", json={"items": rows, "n_factors": 2})
    assert keyed.status_code == 200, keyed.text
    assert keyed.json()["provenance"]["signs"] == "keys"
    path = tmp_path / "items.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    expected = cli_json(monkeypatch, "factors", "--file", str(path), "--n-factors", "2")
    unkeyed = [{k: v for k, v in r.items() if k != "key"} for r in rows]
    inferred = client.post("/api/factors", json={"items": unkeyed, "n_factors": 2, "n_iter": 5}).json()
    assert inferred["provenance"]["signs"] == "inferred keys"
    plain = client.post("/api/factors", json={"items": rows, "n_factors": 2, "n_iter": 5, "use_keys": False,
                                              "infer_keys": False}).json()
    assert plain["provenance"]["signs"] == "contrast"
    assert keyed.json()["results"] == expected["results"]  # the same analysis as the CLI on the same rows
    posted, read = keyed.json()["provenance"], expected["provenance"]
    assert (posted["items"]["name"], read["items"]["name"]) == ("frame", "items")  # posted rows vs the file
    assert posted["items"]["fingerprint"] == read["items"]["fingerprint"]  # the same items
    same_provenance({**posted, "items": None}, {**read, "items": None})
    bad = client.post("/api/factors", json={"items": [{**rows[0], "key": 2}, *rows[1:]]})
    assert bad.status_code == 422


@pytest.mark.skipif(not has("traitlens.explain", "explain"), reason="traitlens.explain is not there yet")
def test_explain_is_the_explanation_json(client):
    from traitlens.explain import explain

    body = {"text": "I keep my room tidy.", "target": "Conscientiousness", "score": "profile"}
    got = client.post("/api/explain", json=body)
    assert got.status_code == 200, got.text
    expected = explain(body["text"], body["target"], score="profile", model=FakeEncoder(), cache=False).to_dict()
    assert got.json()["tokens"] == expected["tokens"]
    assert got.json()["score"] == pytest.approx(expected["score"])
    assert got.json()["residual"] == pytest.approx(expected["residual"])
    assert got.json()["provenance"]["model"]["id"] == "fake/hash-encoder"


@pytest.mark.skipif(not has("traitlens.cli.explain", "explain_cmd"), reason="traitlens explain is not there yet")
def test_explain_is_the_cli_json(monkeypatch, client):
    expected = cli_json(monkeypatch, "explain", "I keep my room tidy.", "--target", "Conscientiousness", "--score",
                        "profile")
    got = client.post("/api/explain", json={"text": "I keep my room tidy.", "target": "Conscientiousness",
                                            "score": "profile"}).json()
    assert {k: v for k, v in got.items() if k != "provenance"} == {
        k: v for k, v in expected.items() if k != "provenance"}
    same_provenance(got["provenance"], expected["provenance"])


@pytest.mark.skipif(not has("traitlens.explain", "explain"), reason="traitlens.explain is not there yet")
def test_explain_holds_the_model_for_the_whole_computation(monkeypatch):
    from traitlens.web.models import SerializedEncoder

    shared = SerializedEncoder(FakeEncoder())
    held = []

    def spy(*args, **kwargs):
        held.append(shared.lock._is_owned())  # noqa: SLF001 - RLock's own check
        raise RuntimeError("stop")

    endpoint = registry._explain_endpoint(spy)
    request = endpoint.request(text="x y")
    with pytest.raises(RuntimeError):
        endpoint.adapter(request, shared)
    assert held == [True]


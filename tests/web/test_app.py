"""The JSON API with FastAPI's TestClient: the CLI's envelope row for row, limits, auth, uploads, the page."""

from __future__ import annotations

import io
import json
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser

import pandas as pd
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from traitlens.cli import app as cli_app
from traitlens.web.app import create_app
from traitlens.web.models import ModelPool
from traitlens.web.schemas import MAX_TEXT_CHARS, MAX_TEXTS

from ..fakes import FakeEncoder
from .conftest import FAKE_ID

TEXTS = ["I am the life of the party.", "I worry about things.", "I keep my room tidy.", "I trust people."]


@pytest.fixture
def cli(monkeypatch):
    """``cli(*args)``: the parsed JSON that ``traitlens ARGS`` writes, with the fake encoder as the model."""
    monkeypatch.setattr("traitlens.cli.shell.load_model", lambda model, settings: FakeEncoder())

    def invoke(*args: str) -> dict:
        result = CliRunner().invoke(cli_app, list(args), catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    return invoke


def same_provenance(a: dict, b: dict) -> None:
    assert {k: v for k, v in a.items() if k != "created"} == {k: v for k, v in b.items() if k != "created"}


@pytest.mark.parametrize(("args", "endpoint", "body"), [
    (["similarity", *TEXTS], "similarity", {"texts": TEXTS}),
    (["similarity", *TEXTS, "--by", "factor"], "similarity", {"texts": TEXTS, "by": "factor"}),
    (["similarity", *TEXTS, "-t", "bigfive-facets", "--by", "facet"], "similarity",
     {"texts": TEXTS, "taxonomy": "bigfive-facets", "by": "facet"}),
    (["profile", *TEXTS], "profile", {"texts": TEXTS}),
    (["profile", *TEXTS, "-t", "bigfive-facets", "--level", "facet", "--exemplars", "taxonomy"], "profile",
     {"texts": TEXTS, "taxonomy": "bigfive-facets", "level": "facet", "exemplars": "taxonomy"}),
    (["assign", *TEXTS], "assign", {"texts": TEXTS}),
    (["assign", *TEXTS, "--min-margin", "0.05"], "assign", {"texts": TEXTS, "min_margin": 0.05}),
    (["correlate", *TEXTS, "--method", "profile"], "correlate", {"texts": TEXTS, "method": "profile", "tidy": True}),
    (["correlate", *TEXTS, "--method", "cosine"], "correlate", {"texts": TEXTS, "method": "cosine", "tidy": True}),
], ids=lambda v: " ".join(v) if isinstance(v, list) else None)
def test_the_response_is_the_cli_json_row_for_row(cli, client, args, endpoint, body):
    expected = cli(*args, "--format", "json")
    response = client.post(f"/api/{endpoint}", json=body)
    assert response.status_code == 200, response.text
    got = response.json()
    assert set(got) == {"provenance", "results"}
    assert got["results"] == expected["results"]
    assert len(got["results"]) > 0
    same_provenance(got["provenance"], expected["provenance"])


def test_predict_scales_is_correlate_with_scales(cli, client, tmp_path):
    rows = [("e1", "I am the life of the party.", "E", "1"), ("e2", "I keep in the background.", "E", "-1"),
            ("e3", "I talk to a lot of people.", "E", ""), ("n1", "I worry about things.", "N", "1"),
            ("n2", "I am relaxed most of the time.", "N", "-1"), ("n3", "I get upset easily.", "N", "")]
    path = tmp_path / "items.csv"
    pd.DataFrame(rows, columns=["id", "text", "scale", "key"]).to_csv(path, index=False)
    expected = cli("correlate", "--file", str(path), "--id-column", "id", "--scale-column", "scale",
                   "--key-column", "key", "--method", "profile", "--format", "json")
    items = [{"item": i, "text": t, "scale": s, "key": int(k) if k else None} for i, t, s, k in rows]
    got = client.post("/api/predict-scales", json={"items": items, "method": "profile"}).json()
    for name in ("results", "scales", "reliability"):
        assert got[name] == expected[name], name
    assert {row["item"] for row in got["keys"]} == {r[0] for r in rows}
    same_provenance(got["provenance"], expected["provenance"])


def test_inventories_are_the_cli_rows(cli, client):
    result = CliRunner().invoke(cli_app, ["inventories", "--format", "json"])
    got = client.get("/api/inventories").json()
    assert got["results"] == json.loads(result.stdout)
    assert got["provenance"]["analysis"] == "inventories"


def test_taxonomies(client):
    rows = {r["name"]: r for r in client.get("/api/taxonomies").json()["results"]}
    assert rows["bigfive"]["n_factors"] == 5 and rows["bigfive-facets"]["n_facets"] == 30


def test_the_other_analyses(client):
    loadings = client.post("/api/loadings", json={"texts": TEXTS}).json()
    assert [r["text"] for r in loadings["results"]] == TEXTS
    assert set(loadings["results"][0]) == {"text", "Openness", "Conscientiousness", "Extraversion", "Agreeableness",
                                           "Neuroticism"}
    keys = client.post("/api/infer-keys", json={"texts": TEXTS, "keys": [1, None, None, None],
                                                "construct": "Extraversion"}).json()
    assert [r["inferred"] for r in keys["results"]] == [False, True, True, True]
    assert keys["results"][0]["key"] == 1 and keys["provenance"]["construct"] == "Extraversion"
    square = client.post("/api/correlate", json={"texts": TEXTS, "method": "cosine"}).json()["results"]
    assert [r["item"] for r in square] == TEXTS
    assert all(square[i][TEXTS[i]] == pytest.approx(1, abs=1e-6) for i in range(4))
    bfi = client.post("/api/predict-scales", json={"items": "bfi", "method": "cosine"}).json()
    assert {r["scale"] for r in bfi["reliability"]} >= {"Extraversion", "Neuroticism"}


def test_health(client, loader):
    health = client.get("/health").json()
    assert health["models"] == [FAKE_ID, "other/model"] and health["loaded"] == []
    assert {"similarity", "profile", "assign", "loadings", "infer-keys", "correlate", "predict-scales"} <= set(
        health["endpoints"])
    client.post("/api/profile", json={"texts": ["x y"]})
    assert client.get("/health").json()["loaded"] == [FAKE_ID]


def test_a_request_picks_an_allowed_model(client, loader):
    got = client.post("/api/profile", json={"texts": ["x y"], "model": "other/model"}).json()
    assert got["provenance"]["model"]["id"] == "other/model" and loader.loads == ["other/model"]


@pytest.mark.parametrize(("body", "message"), [
    ({"texts": ["x"], "model": "/work/main/.models/all-mpnet-base-v2"}, "not a path"),
    ({"texts": ["x"], "model": "../models/x"}, "not a path"),
    ({"texts": ["x"], "model": "sentence-transformers/all-mpnet-base-v2"}, "not allowed on this server"),
    ({"texts": ["x"] * (MAX_TEXTS + 1)}, f"texts: List should have at most {MAX_TEXTS} items"),
    ({"texts": ["x" * (MAX_TEXT_CHARS + 1)]}, f"texts.0: String should have at most {MAX_TEXT_CHARS} characters"),
    ({"texts": []}, "texts: List should have at least 1 item"),
    ({"texts": ["x"], "taxonomy": "/etc/passwd"}, "taxonomy: Input should be"),
    ({"texts": ["x"], "trust_remote_code": True}, "trust_remote_code: Extra inputs are not permitted"),
    ({"texts": ["   "]}, "no texts"),
])
def test_bad_requests_are_422_with_a_message(client, loader, body, message):
    response = client.post("/api/profile", json=body)
    assert response.status_code == 422
    data = response.json()
    assert message in (data.get("message") or data["detail"])
    assert loader.loads in ([], [FAKE_ID])  # nothing but an allowed model was ever loaded


@pytest.mark.parametrize(("endpoint", "body", "message"), [
    ("predict-scales", {"items": [{"text": "x", "scale": "a"}] * (MAX_TEXTS + 1)}, "at most 1000 items"),
    ("predict-scales", {"items": "/etc/passwd"}, "items"),
    ("correlate", {"texts": ["a", "b"], "ids": ["1"] * (MAX_TEXTS + 1)}, "ids: List should have at most"),
    ("infer-keys", {"texts": ["a b"], "keys": [2]}, "keys.0"),
])
def test_other_bodies_are_bounded(client, loader, endpoint, body, message):
    response = client.post(f"/api/{endpoint}", json=body)
    assert response.status_code == 422
    data = response.json()
    assert message in (data.get("message") or data["detail"])
    assert loader.loads in ([], [FAKE_ID])  # nothing but an allowed model was ever loaded


def test_a_large_body_is_413(pool):
    small = TestClient(create_app(pool, max_body_bytes=1000))
    response = small.post("/api/profile", json={"texts": ["x" * 600, "y" * 600]})
    assert response.status_code == 413 and "at most 1,000 bytes" in response.json()["detail"]

    def chunks():  # no Content-Length: counted as it streams in
        yield b'{"texts": ["' + b"x" * 800
        yield b"y" * 800 + b'"]}'

    streamed = small.post("/api/profile", content=chunks(), headers={"Content-Type": "application/json"})
    assert streamed.status_code == 413
    assert small.post("/api/profile", json={"texts": ["short"]}).status_code == 200
    envelope = {"provenance": {}, "results": [{"text": "x" * 50, "score": 0.5}] * 100}  # ~7 kB: a result comes back
    assert small.post("/api/export?format=csv", json=envelope).status_code == 200
    envelope["results"] *= 4  # ~28 kB > 16 × 1,000 bytes
    assert small.post("/api/export?format=csv", json=envelope).status_code == 413


def test_a_token_guards_every_api_route(pool):
    guarded = TestClient(create_app(pool, token="s3cret"))
    assert guarded.post("/api/profile", json={"texts": ["x"]}).status_code == 401
    assert guarded.get("/api/inventories").status_code == 401
    wrong = guarded.post("/api/profile", json={"texts": ["x"]}, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401 and wrong.headers["www-authenticate"] == "Bearer"
    right = guarded.post("/api/profile", json={"texts": ["x y"]}, headers={"Authorization": "Bearer s3cret"})
    assert right.status_code == 200
    assert guarded.get("/health").json()["token_required"] is True
    assert guarded.get("/").status_code == 200  # the page itself holds no data; it asks for the token


def test_concurrent_requests_share_one_model_and_agree(client, loader):
    def call(i: int) -> list:
        return client.post("/api/profile", json={"texts": TEXTS[i % 4:] + TEXTS[:i % 4]}).json()["results"]

    with ThreadPoolExecutor(8) as workers:
        results = list(workers.map(call, range(24)))
    assert loader.loads == [FAKE_ID]
    by_text = {}
    for rows in results:
        for row in rows:
            assert by_text.setdefault((row["text"], row["construct"]), row["score"]) == row["score"]


def test_upload_csv_and_xlsx(client):
    csv = "id,text\n1,I like parties.\n2,\n3,I worry.\n"
    got = client.post("/api/upload", files={"file": ("items.csv", csv.encode(), "text/csv")}).json()
    assert got == {"texts": ["I like parties.", "I worry."], "column": "text", "columns": ["id", "text"],
                   "warnings": ["items.csv: skipped 1 blank text(s) at line 3"]}
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    for row in [("item", "wording"), ("a", "I keep my room tidy."), ("b", None), ("c", "I trust people.")]:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    files = {"file": ("scale.xlsx", buffer.getvalue(), "application/octet-stream")}
    ambiguous = client.post("/api/upload", files=files)
    assert ambiguous.status_code == 422 and "none is called 'text'" in ambiguous.json()["detail"]
    assert "scale.xlsx" in ambiguous.json()["detail"]
    chosen = client.post("/api/upload", files=files, data={"column": "wording"}).json()
    assert chosen["texts"] == ["I keep my room tidy.", "I trust people."] and chosen["columns"] == ["item", "wording"]
    assert chosen["warnings"] == ["scale.xlsx: skipped 1 blank text(s) at row 3"]
    bad = client.post("/api/upload", files={"file": ("x.docx", b"PK", "application/octet-stream")})
    assert bad.status_code == 422 and "unsupported file type '.docx'" in bad.json()["detail"]
    ragged = client.post("/api/upload", files={"file": ("r.csv", b"a,text\n1,x,extra\n", "text/csv")})
    assert ragged.status_code == 422 and "r.csv" in ragged.json()["detail"] and "line 2" in ragged.json()["detail"]


def test_warnings_come_back_with_their_own_request_only(client):
    """Each request hears what it caused (the same warning twice, too), never another request's warnings."""
    from concurrent.futures import ThreadPoolExecutor

    def run(texts):
        return client.post("/api/similarity", json={"texts": texts}).json()

    for _ in range(2):
        blank = run(["", "I panic."])
        assert blank["warnings"] == ["skipped 1 blank text(s) at position 0"]
    assert "warnings" not in run(["I panic."])
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(run, [["", "I panic."] if n % 2 else ["I panic.", "I smile."] for n in range(16)]))
    for n, answer in enumerate(answers):
        assert answer.get("warnings") == (["skipped 1 blank text(s) at position 0"] if n % 2 else None)


def test_export_csv_and_parquet_keep_the_rows_and_provenance(client):
    envelope = client.post("/api/profile", json={"texts": TEXTS[:2]}).json()
    csv = client.post("/api/export?format=csv", json=envelope)
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    frame = pd.read_csv(io.BytesIO(csv.content))
    assert frame["text"].tolist() == [r["text"] for r in envelope["results"]]
    assert frame["score"].tolist() == pytest.approx([r["score"] for r in envelope["results"]], abs=1e-12)
    assert json.loads(csv.headers["x-traitlens-provenance"]) == envelope["provenance"]
    parquet = client.post("/api/export?format=parquet", json=envelope)
    table = pq.read_table(io.BytesIO(parquet.content))
    assert json.loads(table.schema.metadata[b"traitlens"]) == envelope["provenance"]
    assert table.to_pandas()["score"].tolist() == [r["score"] for r in envelope["results"]]
    assert client.post("/api/export?format=xlsx", json=envelope).status_code == 422


class Page(HTMLParser):
    """The labels, controls and external references of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.labels: set[str] = set()
        self.controls: list[str] = []
        self.sources: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag == "label" and attrs.get("for"):
            self.labels.add(attrs["for"])
        if tag in ("input", "select", "textarea"):
            self.controls.append(attrs.get("id", "?"))
        for key in ("src", "href"):
            if tag in ("script", "link", "img") and attrs.get(key):
                self.sources.append(attrs[key])


def test_the_page_labels_every_field_and_loads_nothing_from_elsewhere(client):
    response = client.get("/")
    assert response.status_code == 200
    page = Page()
    page.feed(response.text)
    assert page.controls and all(c in page.labels for c in page.controls), (page.controls, page.labels)
    assert {"texts", "upload", "analysis", "taxonomy", "model", "heatmap", "results-table"} <= page.ids
    assert page.sources and all(s.startswith("/") for s in page.sources)
    for source in page.sources:
        assert client.get(source).status_code == 200, source


def test_docs_are_served_offline(client):
    docs = client.get("/docs").text
    assert "cdn" not in docs.lower()
    for asset in ("/static/swagger/swagger-ui-bundle.js", "/static/swagger/swagger-ui.css"):
        assert asset in docs and client.get(asset).status_code == 200
    schema = client.get("/openapi.json").json()
    assert {"/api/similarity", "/api/profile", "/api/assign", "/api/loadings", "/api/infer-keys", "/api/correlate",
            "/api/predict-scales", "/api/taxonomies", "/api/inventories", "/health"} <= set(schema["paths"])
    assert "securitySchemes" not in schema.get("components", {})  # no token: no security in the schema either
    guarded = TestClient(create_app(client.app.state.pool, token="t")).get("/openapi.json").json()
    assert "HTTPBearer" in guarded["components"]["securitySchemes"]


@pytest.mark.slow
def test_with_the_real_model_the_response_is_the_cli_json(real_encoder, monkeypatch, tmp_path_factory):
    from traitlens.cache import CachedEncoder, EmbeddingCache
    from traitlens.web.models import SerializedEncoder

    cached = CachedEncoder(real_encoder, EmbeddingCache(tmp_path_factory.getbasetemp() / "real-model-cache"))
    client = TestClient(create_app(ModelPool(loader=lambda m: SerializedEncoder(cached))))
    monkeypatch.setattr("traitlens.cli.shell.load_model", lambda model, settings: cached)
    for args, endpoint, body in [(["profile", *TEXTS], "profile", {"texts": TEXTS}),
                                 (["similarity", *TEXTS], "similarity", {"texts": TEXTS})]:
        expected = json.loads(CliRunner().invoke(cli_app, [*args, "--format", "json"]).stdout)
        got = client.post(f"/api/{endpoint}", json=body).json()
        assert got["results"] == expected["results"]
        assert got["provenance"]["model"]["id"] == "sentence-transformers/all-MiniLM-L6-v2"


def test_a_loopback_server_answers_its_own_host_names_only(pool):
    app = create_app(pool, allowed_hosts=["localhost", "127.0.0.1"])
    assert TestClient(app, base_url="http://127.0.0.1:8000").get("/health").status_code == 200
    assert TestClient(app, base_url="http://localhost:8000").get("/health").status_code == 200
    rebound = TestClient(app, base_url="http://attacker.example:8000")
    assert rebound.post("/api/profile", json={"texts": ["x"]}).status_code == 400


@pytest.mark.slow
def test_concurrent_requests_on_the_real_model_agree_with_one_at_a_time(real_encoder, tmp_path):
    from traitlens import api, load_inventory
    from traitlens.cache import CachedEncoder, EmbeddingCache
    from traitlens.web.models import SerializedEncoder

    items = load_inventory("ipip50").frame["text"].tolist()
    batches = [items[i:i + 5] for i in range(0, 40, 5)]  # 8 requests of 5 texts no request has seen
    shared = CachedEncoder(SerializedEncoder(real_encoder), EmbeddingCache(tmp_path / "cache"))
    client = TestClient(create_app(ModelPool(loader=lambda m: shared)))
    with ThreadPoolExecutor(8) as workers:
        results = list(workers.map(
            lambda texts: client.post("/api/profile", json={"texts": texts, "exemplars": "taxonomy"}).json(), batches))
    for texts, got in zip(batches, results, strict=True):
        alone = api.profile(texts, exemplars="taxonomy", model=real_encoder, cache=False)
        assert [r["text"] for r in got["results"]] == alone["text"].tolist()
        assert [r["score"] for r in got["results"]] == pytest.approx(alone["score"].tolist(), abs=1e-5)


def test_every_error_reply_has_a_message_line(client):
    replies = [client.post("/api/similarity", json={"texts": ["x"], "taxonomy": "nosuch"}),  # the analysis: 422
               client.post("/api/similarity", content=b"{", headers={"Content-Type": "application/json"}),  # 400
               client.post("/api/similarity", json={"texts": "x" * 3}),  # validation: 422
               client.get("/api/nosuch")]  # 404
    for reply in replies:
        body = reply.json()
        assert reply.status_code >= 400 and isinstance(body["message"], str) and body["message"], body

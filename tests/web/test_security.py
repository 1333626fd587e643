"""Hostile clients of ``traitlens serve``: each case with the exact status it must get (issue 13, item 5).

Fast cases use FastAPI's TestClient (or call the ASGI app directly where a client would normalise the
path); the slow-client cases run a real uvicorn in a subprocess on a free loopback port, with the
options of ``traitlens serve`` (:func:`traitlens.web.server.uvicorn_options`) and short timeouts, and
talk to it through raw sockets. The table in docs/reliability.md ("Server") lists every case here.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from traitlens.web.app import BodyTimeout, create_app
from traitlens.web.models import ModelPool
from traitlens.web.schemas import MAX_TEXT_CHARS, MAX_TEXTS

from ..fakes import FakeEncoder
from .conftest import FAKE_ID

TOKEN = "s3cret-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
JSON = {**AUTH, "Content-Type": "application/json"}
LIMIT = 20_000
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def guarded(pool: ModelPool) -> TestClient:
    """A token-guarded loopback server with a 20 kB body limit (as `serve --token` on 127.0.0.1)."""
    app = create_app(pool, token=TOKEN, max_body_bytes=LIMIT, allowed_hosts=["127.0.0.1", "localhost"])
    return TestClient(app, base_url="http://127.0.0.1:8000", raise_server_exceptions=False)


def detail(response) -> str:
    """The JSON error message (every refusal is JSON with a ``detail``)."""
    assert response.headers["content-type"].startswith("application/json"), response.text
    body = response.json()
    return body["detail"] if isinstance(body["detail"], str) else body["message"]


# --- model names and server files -------------------------------------------------------------------------------

@pytest.mark.parametrize(("model", "message"), [
    ("../x", "not a path"), ("/etc", "not a path"), ("~", "not a path"), ("~/models/m", "not a path"),
    ("file:///etc/passwd", "not a path"), ("hf://org/m", "not a path"), ("C:\\models\\m", "not a path"),
    ("..", "not a path"), (".", "not a path"), ("./m", "not a path"), ("org/m/../../etc", "not a path"),
    ("a/b/c", "not a path"), ("sentence-transformers/all-mpnet-base-v2", "is not allowed on this server"),
    ("gpt2", "is not allowed on this server"), ("", "is not allowed"), (" " + FAKE_ID, "is not allowed"),
    ("x" * 300, "at most 200 characters"),
])
def test_a_model_off_the_allow_list_is_422_and_never_loaded(guarded, loader, model, message):
    response = guarded.post("/api/similarity", json={"texts": ["I like parties."], "model": model}, headers=AUTH)
    assert response.status_code == 422
    assert message in detail(response)
    assert loader.loads == []


@pytest.mark.parametrize("name", ["/etc/passwd", "../../etc/passwd", "~/.ssh/id_rsa", "bigfive.yaml",
                                  "file:///etc/passwd", str(ROOT / "src/traitlens/data/taxonomies/bigfive.yaml")])
@pytest.mark.parametrize(("endpoint", "field", "extra"), [
    ("similarity", "taxonomy", {"texts": ["x"]}), ("profile", "taxonomy", {"texts": ["x"]}),
    ("assign", "taxonomy", {"texts": ["x"]}), ("infer-keys", "taxonomy", {"texts": ["x"]}),
    ("predict-scales", "items", {}), ("jingle-jangle", "scales", {}), ("factors", "items", {}),
])
def test_a_taxonomy_or_inventory_given_as_a_server_path_is_422(guarded, loader, endpoint, field, extra, name):
    """Only built-in names are accepted: a client never makes the server read a file it names."""
    if endpoint not in guarded.get("/health").json()["endpoints"]:
        pytest.skip(f"{endpoint} is not in this installation")
    response = guarded.post(f"/api/{endpoint}", json={**extra, field: name}, headers=AUTH)
    assert response.status_code == 422
    assert field in detail(response)
    assert loader.loads == []


def test_fields_a_server_keeps_for_itself_are_422(guarded):
    for field, value in [("data_dir", "/etc"), ("cache", "/tmp/x"), ("path", "/etc/passwd")]:
        response = guarded.post("/api/profile", json={"texts": ["x"], field: value}, headers=AUTH)
        assert response.status_code == 422 and field in detail(response)


def test_an_uploaded_file_name_is_only_a_label(guarded, tmp_path):
    """``../../x.txt`` as the upload's name: read from the upload, nothing written or read at that path."""
    response = guarded.post("/api/upload", files={"file": ("../../../../tmp/evil.txt", b"I like parties.\n")},
                            headers=AUTH)
    assert response.status_code == 200 and response.json()["texts"] == ["I like parties."]
    assert not Path("/tmp/evil.txt").exists()
    assert guarded.post("/api/upload", files={"file": ("/etc/passwd", b"x")}, headers=AUTH).status_code == 422


def asgi_get(app, raw_path: bytes) -> tuple[int, bytes]:
    """GET ``raw_path`` straight into the ASGI app (HTTP clients would normalise ``..`` away)."""
    from urllib.parse import unquote_to_bytes

    messages: list[dict] = []
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
             "path": unquote_to_bytes(raw_path).decode("latin-1"), "raw_path": raw_path, "query_string": b"",
             "root_path": "", "headers": [(b"host", b"127.0.0.1:8000")], "client": ("127.0.0.1", 1),
             "server": ("127.0.0.1", 8000)}

    async def run() -> None:
        done = asyncio.Event()
        requested = False

        async def receive() -> dict:
            nonlocal requested
            if not requested:
                requested = True
                return {"type": "http.request", "body": b"", "more_body": False}
            await done.wait()  # a response may listen for a disconnect: it comes once the response is sent
            return {"type": "http.disconnect"}

        async def send(message: dict) -> None:
            messages.append(message)
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                done.set()

        await app(scope, receive, send)

    asyncio.run(run())
    body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")
    return messages[0]["status"], body


@pytest.mark.parametrize("raw", [
    b"/static/../../etc/passwd", b"/static/app/../../../../etc/passwd", b"/static/app/%2e%2e/%2e%2e/etc/passwd",
    b"/static/app/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd", b"/static/app/..%2f..%2f..%2fetc/passwd",
    b"/static/app/....//....//etc/passwd", b"/static/app/%252e%252e/etc/passwd", b"/static/app//etc/passwd",
    b"/static/swagger/../../../../etc/passwd", b"/static/app/../app.py", b"/static/app/..%5c..%5capp.py",
    b"/static/plotly.min.js/../../etc/passwd",
])
def test_static_files_never_leave_their_folder(guarded, raw):
    status, body = asgi_get(guarded.app, raw)
    assert status == 404, (raw, status)
    assert b"root:" not in body and b"create_app" not in body


def test_the_static_files_themselves_are_served(guarded):
    assert asgi_get(guarded.app, b"/static/app/app.js")[0] == 200
    assert asgi_get(guarded.app, b"/static/plotly.min.js")[0] == 200


# --- tokens and what is public ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("path", "public"), [
    ("/health", True), ("/", True), ("/docs", True), ("/openapi.json", True), ("/static/app/app.css", True),
    ("/api/taxonomies", False), ("/api/inventories", False),
])
def test_what_is_public(guarded, path, public):
    response = guarded.get(path)
    assert response.status_code == (200 if public else 401)
    assert TOKEN not in response.text  # the page and /health never echo the token
    if not public:
        assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("headers", [
    {}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Bearer {TOKEN}x"},
    {"Authorization": f"Bearer {TOKEN[:-1]}"},
    {"Authorization": f"Basic {TOKEN}"}, {"Authorization": TOKEN}, {"Authorization": "Bearer "},
    {"Authorization": "Bearer s3crét".encode()}, {"X-Token": TOKEN}, {"Cookie": f"token={TOKEN}"},
])
def test_a_missing_or_wrong_token_is_401(guarded, loader, headers):
    response = guarded.post("/api/profile", json={"texts": ["x"]}, headers=headers)
    assert response.status_code == 401 and "missing or wrong token" in detail(response)
    assert loader.loads == []


@pytest.mark.parametrize("query", ["token", "access_token", "api_key", "authorization"])
def test_a_token_in_the_query_string_is_not_accepted(guarded, query):
    response = guarded.post(f"/api/profile?{query}={TOKEN}", json={"texts": ["x"]})
    assert response.status_code == 401


def test_the_right_token_is_200_and_checked_before_the_body(guarded):
    assert guarded.post("/api/profile", json={"texts": ["x y"]}, headers=AUTH).status_code == 200
    # no token and a bad body: 401, not 422 (an outsider learns nothing about the schema's checks)
    assert guarded.post("/api/profile", json={"texts": "nope"}).status_code == 401
    assert guarded.post("/api/upload", files={"file": ("a.txt", b"x")}).status_code == 401


def test_a_token_sent_to_public_routes_changes_nothing(guarded):
    assert guarded.get("/health", headers={"Authorization": "Bearer wrong"}).status_code == 200
    assert guarded.get("/health", headers=AUTH).json()["token_required"] is True
    assert guarded.get("/", headers={"Authorization": "Bearer wrong"}).status_code == 200


# --- Host header ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("host", "status"), [
    ("127.0.0.1:8000", 200), ("localhost:8000", 200), ("localhost", 200), ("evil.example", 400),
    ("127.0.0.1.evil.example", 400), ("localhost.evil.example:8000", 400), ("evil.example:8000@127.0.0.1", 400),
])
def test_a_loopback_server_answers_only_its_own_host_names(guarded, host, status):
    assert guarded.get("/health", headers={"Host": host}).status_code == status
    api = guarded.post("/api/profile", json={"texts": ["x y"]}, headers={**AUTH, "Host": host})
    assert api.status_code == status


# --- body size --------------------------------------------------------------------------------------------------

def test_a_body_over_the_limit_is_413_by_its_length(guarded, loader):
    response = guarded.post("/api/profile", json={"texts": ["x" * 1000] * 30}, headers=AUTH)
    assert response.status_code == 413 and "at most 20,000 bytes" in detail(response)
    assert loader.loads == []


def test_a_chunked_body_without_length_is_413_as_it_streams(guarded):
    def chunks():
        yield b'{"texts": ['
        for _ in range(100):
            yield b'"' + b"x" * 500 + b'",'
        yield b'"x"]}'

    response = guarded.post("/api/profile", content=chunks(), headers=JSON)
    assert "content-length" not in response.request.headers
    assert response.status_code == 413


def test_an_upload_over_the_limit_is_413(guarded):
    files = {"file": ("texts.txt", b"I like parties.\n" * 2000)}
    assert guarded.post("/api/upload", files=files, headers=AUTH).status_code == 413

    def chunks():  # a multipart body without Content-Length
        yield b"--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"t.txt\"\r\n\r\n"
        for _ in range(100):
            yield b"x" * 500 + b"\n"
        yield b"\r\n--b--\r\n"

    streamed = guarded.post("/api/upload", content=chunks(),
                            headers={**AUTH, "Content-Type": "multipart/form-data; boundary=b"})
    assert streamed.status_code == 413


def test_a_body_just_under_the_limit_is_served(guarded):
    body = json.dumps({"texts": ["word " * 390] * 9}).encode()
    assert len(body) < LIMIT
    assert guarded.post("/api/profile", content=body, headers=JSON).status_code == 200


@pytest.mark.parametrize(("body", "message"), [
    ({"texts": ["x"] * (MAX_TEXTS + 1)}, f"at most {MAX_TEXTS} items"),
    ({"texts": ["x" * (MAX_TEXT_CHARS + 1)]}, f"at most {MAX_TEXT_CHARS} characters"),
    ({"texts": []}, "at least 1 item"),
])
def test_too_many_or_too_long_texts_are_422(pool, body, message):
    client = TestClient(create_app(pool))
    response = client.post("/api/profile", json=body)
    assert response.status_code == 422 and message in detail(response)


# --- bodies that are not JSON, or not the right JSON --------------------------------------------------------------

@pytest.mark.parametrize(("body", "status", "message"), [
    (b'{"texts": ["\xff\xfe caf\xe9"]}', 400, "not valid JSON"),
    (b"\xff\xfe\x00{", 400, "not valid JSON"),
    (b'{"texts": [', 400, "not valid JSON: Expecting value at character 11"),
    (b'{"texts": ["a"],}', 400, "not valid JSON"),
    (b"[" * 100_00 + b"]" * 100_00, 400, "not valid JSON"),
    (b'{"texts": ["a"], "min_margin": ' + b"9" * 5000 + b"}", 400, "not valid JSON"),
    (b"", 422, "body: Field required"),
    (b"null", 422, "valid dictionary"),
    (b"[1, 2]", 422, "valid dictionary"),
    (b'"texts"', 422, "valid dictionary"),
    (b'{"texts": "one text"}', 422, "texts: Input should be a valid list"),
    (b'{"texts": [1, 2]}', 422, "texts.0: Input should be a valid string"),
    (b'{"texts": ["\\ud800"]}', 422, "valid string"),
    (b'{"texts": ["a"], "min_margin": NaN}', 422, "min_margin"),
    (b'{"texts": ["a"], "min_margin": Infinity}', 422, "min_margin"),
    (b'{"texts": ["a"], "min_margin": "0.1; DROP TABLE"}', 422, "min_margin"),
    (b'{"texts": ["a"], "taxonomy": null}', 422, "taxonomy"),
    (b'{"texts": ["a"], "texts": 5}', 422, "texts"),
    (b'{"texts": ["a"], "unknown": 1}', 422, "unknown: Extra inputs are not permitted"),
    (b'{"texts": ["   ", "\\t"]}', 422, "no texts to analyse"),
])
def test_bodies_that_are_not_the_right_json_are_400_or_422(guarded, body, status, message):
    response = guarded.post("/api/assign", content=body, headers=JSON)
    assert response.status_code == status, response.text
    assert message in detail(response)


@pytest.mark.parametrize("kind", [None, "text/plain", "application/x-www-form-urlencoded", "multipart/form-data",
                                  "application/xml", "text/json"])
def test_a_json_route_without_a_json_content_type_is_415(guarded, kind):
    headers = {**AUTH} if kind is None else {**AUTH, "Content-Type": kind}
    response = guarded.post("/api/profile", content=b'{"texts": ["x y"]}', headers=headers)
    assert response.status_code == 415 and "Content-Type: application/json" in detail(response)
    export = guarded.post("/api/export", content=b'{"provenance": {}, "results": []}', headers=headers)
    assert export.status_code == 415


def test_json_content_types_with_parameters_are_accepted(guarded):
    for kind in ("application/json; charset=utf-8", "APPLICATION/JSON", "application/vnd.api+json"):
        response = guarded.post("/api/profile", content=b'{"texts": ["x y"]}', headers={**AUTH, "Content-Type": kind})
        assert response.status_code == 200, kind


def test_uploads_that_are_not_files_are_422(guarded):
    cases = [({"content": b"garbage", "headers": {**AUTH, "Content-Type": "multipart/form-data; boundary=b"}}, 400),
             ({"json": {"file": "/etc/passwd"}, "headers": AUTH}, 422),
             ({"files": {"file": ("t.exe", b"MZ")}, "headers": AUTH}, 422),
             ({"files": {"file": ("t.xlsx", b"not a zip")}, "headers": AUTH}, 422),
             ({"files": {"file": ("t.parquet", b"PAR1")}, "headers": AUTH}, 422),
             ({"files": {"file": ("t.csv", b"text\n\xff\xfe\n")}, "headers": AUTH}, 422),
             ({"files": {"file": ("t.txt", b"")}, "headers": AUTH}, 422)]
    for kwargs, status in cases:
        response = guarded.post("/api/upload", **kwargs)
        assert response.status_code == status, (kwargs, response.text)
        assert detail(response)


@pytest.mark.parametrize(("results", "fmt"), [
    ([{"a": 1}, {"a": "s"}], "parquet"),  # was a 500: pyarrow cannot mix int and str in a column
    ([{"a": [1, {"b": 2}]}], "parquet"),
    ([{"a": {"b": [1, "x"]}}], "parquet"),
])
def test_an_export_of_rows_parquet_cannot_hold_is_422(guarded, results, fmt):
    response = guarded.post(f"/api/export?format={fmt}", json={"provenance": {"analysis": "x"}, "results": results},
                            headers=AUTH)
    assert response.status_code == 422 and "cannot be written as parquet" in detail(response)


def test_an_export_file_name_cannot_inject_headers(guarded):
    provenance = {"analysis": '../../x"\r\nSet-Cookie: a=b'}
    response = guarded.post("/api/export", json={"provenance": provenance, "results": [{"a": 1}]}, headers=AUTH)
    assert response.status_code == 200
    assert "set-cookie" not in response.headers
    assert response.headers["content-disposition"] == 'attachment; filename="traitlens-.._.._x_Set-Cookie_a_b.csv"'


# --- concurrency --------------------------------------------------------------------------------------------------

def test_concurrent_mixed_requests_get_their_own_status_and_no_500(guarded):
    texts = ["I am the life of the party.", "I worry about things.", "I keep my room tidy."]
    expected = guarded.post("/api/profile", json={"texts": texts}, headers=AUTH).json()["results"]
    cases = [
        ({"json": {"texts": texts}, "headers": AUTH}, 200),
        ({"content": b'{"texts": [', "headers": JSON}, 400),
        ({"content": b'{"texts": ["\xff"]}', "headers": JSON}, 400),
        ({"json": {"texts": texts, "model": "../x"}, "headers": AUTH}, 422),
        ({"json": {"texts": ["x" * (MAX_TEXT_CHARS + 1)]}, "headers": AUTH}, 422),
        ({"json": {"texts": texts}}, 401),
        ({"json": {"texts": ["x" * 1000] * 30}, "headers": AUTH}, 413),
        ({"content": b'{"texts": ["x"]}', "headers": {**AUTH, "Content-Type": "text/plain"}}, 415),
    ]
    jobs = [cases[i % len(cases)] for i in range(96)]
    with ThreadPoolExecutor(16) as executor:
        responses = list(executor.map(lambda job: guarded.post("/api/profile", **job[0]), jobs))
    for (_, status), response in zip(jobs, responses, strict=True):
        assert response.status_code == status, response.text
        if status == 200:
            assert response.json()["results"] == expected


# --- slow clients -------------------------------------------------------------------------------------------------

def test_a_stalled_body_is_408_and_does_not_block_others():
    """BodyTimeout on the ASGI app: one stalled request times out while another is answered at once."""
    app = create_app(ModelPool([FAKE_ID], loader=lambda m: FakeEncoder(name=m)), body_timeout=0.5)

    async def request(chunks: list[bytes], stall: bool) -> tuple[int, float]:
        queue = [{"type": "http.request", "body": c, "more_body": True} for c in chunks]
        if not stall:
            queue.append({"type": "http.request", "body": b"", "more_body": False})
        sent: list[dict] = []

        async def receive() -> dict:
            if queue:
                return queue.pop(0)
            await asyncio.sleep(3600)  # the client sends nothing more
            raise AssertionError

        async def send(message: dict) -> None:
            sent.append(message)

        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
                 "scheme": "http", "path": "/api/profile", "raw_path": b"/api/profile", "query_string": b"",
                 "root_path": "", "headers": [(b"host", b"127.0.0.1"), (b"content-type", b"application/json")],
                 "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 8000)}
        start = time.monotonic()
        await app(scope, receive, send)
        return sent[0]["status"], time.monotonic() - start

    async def both() -> list[tuple[int, float]]:
        return await asyncio.gather(request([b'{"texts": ["x'], stall=True),
                                    request([b'{"texts": ["x y"]}'], stall=False))

    (stalled, stalled_s), (other, other_s) = asyncio.run(both())
    assert stalled == 408 and 0.4 < stalled_s < 5
    assert other == 200 and other_s < stalled_s


def test_body_timeout_wraps_only_http():
    seen = []

    async def inner(scope, receive, send):
        seen.append(scope["type"])

    asyncio.run(BodyTimeout(inner, 0.1)({"type": "lifespan"}, None, None))
    assert seen == ["lifespan"]


SERVER = """
import sys, uvicorn
from tests.fakes import FakeEncoder
from traitlens.web.app import create_app
from traitlens.web.models import ModelPool
from traitlens.web.server import uvicorn_options
pool = ModelPool(["fake/hash-encoder"], loader=lambda m: FakeEncoder(name=m))
app = create_app(pool, token="s3cret-token", max_body_bytes=20_000, body_timeout=1.5,
                 allowed_hosts=["127.0.0.1", "localhost"])
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), **uvicorn_options(head_timeout=1.5))
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def live():
    """A real uvicorn with `serve`'s options (timeouts 1.5 s) in a subprocess; yields its port."""
    pytest.importorskip("uvicorn")
    port = free_port()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    server = subprocess.Popen([sys.executable, "-c", SERVER, str(port)], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while True:
        assert server.poll() is None, server.communicate()[1].decode()
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            assert time.monotonic() < deadline, "the server did not come up"
            time.sleep(0.1)
    yield port
    server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def raw(port: int, data: bytes, timeout: float = 10) -> tuple[int, bytes]:
    """Send raw bytes, read until the server closes or answers; the status and the whole response."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        return read_response(sock)


def read_response(sock: socket.socket) -> tuple[int, bytes]:
    received = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            break
        if not chunk:
            break
        received += chunk
        head, _, body = received.partition(b"\r\n\r\n")
        length = [int(line.split(b":")[1]) for line in head.split(b"\r\n")
                  if line.lower().startswith(b"content-length")]
        if length and len(body) >= length[0]:
            break
    return (int(received.split(b" ")[1]) if received else 0), received


def health_s(port: int) -> float:
    start = time.monotonic()
    status, _ = raw(port, b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
    assert status == 200
    return time.monotonic() - start


@pytest.mark.slow
def test_live_stalled_headers_get_408_while_others_are_answered(live):
    socks = []
    for _ in range(20):  # 20 clients: open, send half a request line, stall
        sock = socket.create_connection(("127.0.0.1", live), timeout=10)
        sock.sendall(b"POST /api/profile HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        socks.append(sock)
    silent = socket.create_connection(("127.0.0.1", live), timeout=10)  # connects, sends nothing
    try:
        assert health_s(live) < 1.0  # answered while all of them stall
        start = time.monotonic()
        for sock in [*socks, silent]:
            status, body = read_response(sock)
            assert status == 408 and b"did not arrive in time" in body
        assert time.monotonic() - start < 5
    finally:
        for sock in [*socks, silent]:
            sock.close()


@pytest.mark.slow
def test_live_a_trickled_header_is_cut_off(live):
    with socket.create_connection(("127.0.0.1", live), timeout=10) as sock:
        start = time.monotonic()
        request = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n" + b"X-Slow: " + b"a" * 200
        status = 0
        try:
            for byte in request:  # one byte every 50 ms: each byte would reset an idle timer
                sock.sendall(bytes([byte]))
                time.sleep(0.05)
        except (BrokenPipeError, ConnectionResetError):
            pass
        status, _ = read_response(sock)
        assert status == 408
        assert time.monotonic() - start < 6


@pytest.mark.slow
def test_live_a_trickled_or_stalled_body_is_408_while_others_are_answered(live):
    head = (b"POST /api/profile HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer s3cret-token\r\n"
            b"Content-Type: application/json\r\nContent-Length: 5000\r\n\r\n")
    stalled = socket.create_connection(("127.0.0.1", live), timeout=10)
    stalled.sendall(head + b'{"texts": ["')
    trickled = socket.create_connection(("127.0.0.1", live), timeout=10)
    trickled.sendall(head)
    try:
        start = time.monotonic()
        for _ in range(10):
            trickled.sendall(b"x")
            time.sleep(0.1)
        assert health_s(live) < 1.0
        for sock in (stalled, trickled):
            status, body = read_response(sock)
            assert status == 408 and b"did not arrive within 1.5 s" in body
        assert time.monotonic() - start < 6
    finally:
        stalled.close()
        trickled.close()
    ok = (b'{"texts": ["x y"]}')
    status, body = raw(live, head.replace(b"5000", str(len(ok)).encode()).replace(b"HTTP/1.1\r\n", b"HTTP/1.1\r\n"
                                                                                 b"Connection: close\r\n", 1) + ok)
    assert status == 200 and b'"results"' in body


@pytest.mark.slow
@pytest.mark.parametrize(("request_bytes", "status"), [
    (b"GET /static/app/../../../../etc/passwd HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 404),
    (b"GET /static/app/%2e%2e/%2e%2e/%2e%2e/etc/passwd HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 404),
    (b"GET /static/../../etc/passwd HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 404),
    (b"GET /health HTTP/1.1\r\nHost: evil.example\r\n\r\n", 400),
    (b"GET /health HTTP/1.1\r\n\r\n", 400),  # no Host at all
    (b"POST /api/profile HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: abc\r\n\r\n", 400),
    (b"POST /api/profile HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", 400),
    (b"POST /api/profile HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer s3cret-token\r\n"
     b"Content-Type: application/json\r\nContent-Length: 999999999\r\n\r\n", 413),
    (b"POST /api/profile HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer s3cret-token\r\n"
     b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
     + b"".join(b"1000\r\n" + b"x" * 4096 + b"\r\n" for _ in range(8)) + b"0\r\n\r\n", 413),
    (b"NONSENSE\r\n\r\n", 400),
])
def test_live_raw_requests(live, request_bytes, status):
    got, response = raw(live, request_bytes)
    assert got == status, response[:300]
    assert b"root:" not in response

"""``traitlens serve``: the safety checks, the missing-extra message, and one real server in a subprocess."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from traitlens.cli.serve import is_loopback

from ..fakes import FakeEncoder


def flat(text: str) -> str:
    """Rich's boxed error messages as one line of words."""
    return " ".join(text.replace("│", " ").split())


@pytest.mark.parametrize(("host", "loopback"), [
    ("127.0.0.1", True), ("127.1.2.3", True), ("localhost", True), ("::1", True), ("[::1]", True),
    ("0.0.0.0", False), ("192.168.1.10", False), ("::", False), ("example.org", False),
])
def test_is_loopback(host, loopback):
    assert is_loopback(host) is loopback


@pytest.mark.parametrize("host", ["0.0.0.0", "10.0.0.5", "::"])
def test_a_non_loopback_host_needs_a_token(runner, host, monkeypatch):
    monkeypatch.delenv("TRAITLENS_TOKEN", raising=False)
    result = runner.invoke(__import__("traitlens.cli", fromlist=["app"]).app, ["serve", "--host", host])
    assert result.exit_code == 2
    assert "is reachable from other machines: give --token TOKEN" in flat(result.stderr)


def test_an_empty_token_is_a_usage_error(runner):
    from traitlens.cli import app

    result = runner.invoke(app, ["serve", "--token", " "])
    assert result.exit_code == 2 and "must not be empty" in flat(result.stderr)


def test_a_missing_extra_is_named(runner, monkeypatch):
    from traitlens.cli import app

    monkeypatch.setattr("traitlens.web.missing_web_modules", lambda: ["fastapi", "uvicorn"])
    result = runner.invoke(app, ["serve"])
    assert result.exit_code == 1
    assert "traitlens serve needs fastapi, uvicorn: pip install 'traitlens[web]'" in flat(result.stderr)


def test_serve_builds_the_app_it_was_asked_for(runner, monkeypatch):
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from traitlens.cli import app

    started, options = {}, []

    def loader(**kwargs):
        options.append(kwargs)
        return lambda model_id: FakeEncoder(name=model_id)

    monkeypatch.setattr("traitlens.web.models.default_loader", loader)
    monkeypatch.setattr("uvicorn.run", lambda app, host, port, **kw: started.update(app=app, host=host, port=port))
    monkeypatch.setattr("traitlens.cli.serve.check_port", lambda host, port: None)  # never bound here
    result = runner.invoke(app, ["serve", "--host", "0.0.0.0", "--port", "8123", "--token", "t0k",
                                 "--allow-model", "org/one", "--allow-model", "org/two"])
    assert result.exit_code == 0, result.output
    assert (started["host"], started["port"]) == ("0.0.0.0", 8123)
    assert "http://0.0.0.0:8123/" in result.stderr and "token required" in result.stderr
    client = TestClient(started["app"])
    assert client.get("/health").json()["models"] == ["org/one", "org/two"]
    assert client.get("/health").json()["loaded"] == ["org/one"]  # the default is loaded before serving
    assert client.post("/api/profile", json={"texts": ["x y"]}).status_code == 401
    assert options == [{}]
    assert runner.invoke(app, ["serve", "--backend", "onnx"]).exit_code == 0
    assert options[-1] == {"backend": "onnx"}
    assert runner.invoke(app, ["serve"]).exit_code == 0  # loopback: answers its own host names only
    assert TestClient(started["app"], base_url="http://127.0.0.1:8000").get("/health").status_code == 200
    assert TestClient(started["app"], base_url="http://rebound.example").get("/health").status_code == 400


def test_a_port_in_use_fails_before_the_model_loads_and_announces_nothing(runner, monkeypatch):
    pytest.importorskip("uvicorn")
    import socket

    from traitlens.cli import app

    monkeypatch.setattr("traitlens.web.models.default_loader", lambda **kw: pytest.fail("the model was loaded"))
    monkeypatch.setattr("uvicorn.run", lambda *a, **kw: pytest.fail("uvicorn was started"))
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = runner.invoke(app, ["serve", "--port", str(port)])
    assert result.exit_code == 1
    assert f"error: cannot listen on 127.0.0.1:{port}: address already in use" in flat(result.stderr)
    assert "traitlens serve: http" not in result.stderr


def test_a_path_on_the_allow_list_is_refused(runner, monkeypatch):
    from traitlens.cli import app

    result = runner.invoke(app, ["serve", "--allow-model", "/work/models/x"])
    assert result.exit_code == 1 and "takes model ids, not paths" in flat(result.stderr)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def call(url: str, body: dict | None = None, token: str | None = None) -> tuple[int, dict]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.mark.slow
def test_the_real_server_in_a_subprocess(tmp_path_factory):
    pytest.importorskip("uvicorn")
    port = free_port()
    cache = tmp_path_factory.getbasetemp() / "real-model-cache"  # shared by the session's real-model tests
    env = {**os.environ, "TRAITLENS_CACHE_DIR": str(cache), "HF_HUB_OFFLINE": "1"}
    server = subprocess.Popen([sys.executable, "-m", "traitlens.cli", "serve", "--port", str(port), "--token", "abc"],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert server.poll() is None, server.communicate()[1]
            try:
                status, health = call(base + "/health")
                break
            except (urllib.error.URLError, ConnectionError):
                assert time.monotonic() < deadline, "the server did not come up"
                time.sleep(0.2)
        assert status == 200 and health["loaded"] == ["sentence-transformers/all-MiniLM-L6-v2"]
        body = {"texts": ["I am the life of the party.", "I worry about things."]}
        assert call(base + "/api/profile", body)[0] == 401
        status, got = call(base + "/api/profile", body, token="abc")
        assert status == 200
        expected = subprocess.run([sys.executable, "-m", "traitlens.cli", "profile", *body["texts"], "--format",
                                   "json"], env=env, capture_output=True, text=True, check=True)
        assert got["results"] == json.loads(expected.stdout)["results"]
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    assert server.returncode == 0

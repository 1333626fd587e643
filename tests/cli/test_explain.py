"""``traitlens explain``."""

from __future__ import annotations

import json
from html.parser import HTMLParser

import pytest


def test_json_layout(run, loads):
    result = run("explain", "I like to work hard.", "--target", "Stress", "--format", "json")
    assert result.exit_code == 0, result.stderr
    record = json.loads(result.stdout)
    assert list(record) == ["provenance", "score", "residual", "tokens"]
    assert [t["token"] for t in record["tokens"]] == ["I", "like", "to", "work", "hard", "."]
    assert record["provenance"]["analysis"] == "explain" and record["provenance"]["model"]["id"] == "fake/hash-encoder"


def test_gradient_method_on_a_backend_without_gradients_says_so(run, loads):
    result = run("explain", "I like to work hard.", "--target", "Stress", "--method", "pairs")
    assert result.exit_code == 0
    assert "occlusion instead" in result.stderr
    assert "hard" in result.stdout


@pytest.mark.parametrize("args, message, code", [
    (["explain", "", "--target", "Stress"], "text is empty", 1),
    (["explain", "I worry.", "--target", "Grit", "--score", "profile", "--exemplars", "taxonomy"],
     "unknown target construct 'Grit'", 1),
    (["explain", "I worry."], "--target is required", 1),
    (["explain", "I worry.", "--target", "x", "--method", "lime"], "lime", 2),
])
def test_bad_input(run, loads, args, message, code):
    result = run(*args)
    assert result.exit_code == code
    assert message in result.stderr


@pytest.mark.parametrize(("name", "message"), [("why.txt", "explanation file must end in"),
                                               ("missing/why.html", "does not exist")])
def test_a_bad_out_fails_before_the_model_loads(run, loads, tmp_path, name, message):
    result = run("explain", "I worry.", "--target", "Stress", "--out", str(tmp_path / name))
    assert result.exit_code == 1 and message in result.stderr and loads == []


def test_a_text_that_is_not_english_is_warned_about(run, loads):
    result = run("explain", "Ich mache mir oft Sorgen über alles.", "--target", "Angst und Sorge")
    assert result.exit_code == 0 and "may not be English" in result.stderr


@pytest.mark.slow
def test_pairs_to_html(run, tmp_path):
    out = tmp_path / "x.html"
    result = run("explain", "I like to work hard.", "--target", "Stress", "--method", "pairs", "--out", str(out))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "" and "wrote" in result.stderr

    class Tables(HTMLParser):
        def __init__(self):
            super().__init__()
            self.tokens = []

        def handle_starttag(self, tag, attrs):
            if tag == "span" and ("class", "tl-token") in attrs:
                self.tokens.append(dict(attrs)["data-attribution"])

    parser = Tables()
    parser.feed(out.read_text())
    assert len(parser.tokens) == 7  # six words of the text, one of the target

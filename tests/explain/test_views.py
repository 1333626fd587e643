"""Views: the HTML page (parsed, not string-matched), the figures, the JSON layout."""

from __future__ import annotations

import json
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest

from traitlens.errors import InputError
from traitlens.explain.explanation import REFERENCE, Explanation
from traitlens.explain.views import explanation_figures, pair_heatmap, token_graph


def _explanation(pairs: bool = True) -> Explanation:
    tokens = pd.DataFrame({"side": ["text"] * 3 + ["target"], "position": [0, 1, 2, 0],
                           "token": ["I", "panic", ".", "anxious"], "start": [0, 2, 7, 0], "end": [1, 7, 8, 7],
                           "attribution": [0.02, 0.30, -0.05, 0.1]})
    frame = None
    if pairs:
        labels_a, labels_b = ["I", "panic", ".", REFERENCE], ["anxious", REFERENCE]
        values = np.array([[0.01, 0.01], [0.25, 0.05], [-0.03, -0.02], [-0.2, 0.4]])
        frame = pd.DataFrame({"token_a": np.repeat(labels_a, 2), "token_b": np.tile(labels_b, 4),
                              "attribution": values.ravel(), "position_a": np.repeat(np.arange(4), 2),
                              "position_b": np.tile(np.arange(2), 4)})
    return Explanation("I panic.", "anxious", "pairs" if pairs else "occlusion", "similarity", 0.42,
                       0.42 - (frame["attribution"].sum() if pairs else 0.27), tokens, frame,
                       provenance={"traitlens_version": "0.1.0"}, notes=("a note",))


class _Spans(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.spans: list[tuple[str, float]] = []
        self._open: float | None = None

    def handle_starttag(self, tag, attrs):
        found = dict(attrs)
        if tag == "span" and "tl-token" in (found.get("class") or ""):
            self._open = float(found["data-attribution"])

    def handle_data(self, data):
        if self._open is not None:
            self.spans.append((data, self._open))
            self._open = None


def test_html_highlights_every_word_with_its_attribution():
    e = _explanation()
    parser = _Spans()
    parser.feed(e.to_html(include_plotlyjs=False))
    assert parser.spans == [("I", 0.02), ("panic", 0.3), (".", -0.05), ("anxious", 0.1)]
    fragment = e._repr_html_()
    assert fragment.startswith("<div class='traitlens-explanation'>") and "a note" in fragment


def test_json_layout_is_the_documented_one():
    record = _explanation().to_dict()
    assert list(record) == ["provenance", "score", "residual", "tokens", "pairs"]
    assert record["tokens"][1] == {"token": "panic", "attribution": 0.30}
    assert record["pairs"][2] == {"token_a": "panic", "token_b": "anxious", "attribution": 0.25}
    assert "pairs" not in _explanation(pairs=False).to_dict()
    json.dumps(record)


def test_figures():
    e = _explanation()
    figures = explanation_figures(e)
    assert set(figures) == {"tokens", "pairs", "graph"}
    heat = pair_heatmap(e).data[0]
    assert list(heat.y) == ["I", "panic", ".", REFERENCE] and list(heat.x) == ["anxious", REFERENCE]
    assert heat.z[1][0] == pytest.approx(0.25)
    graph = token_graph(e, top=2)  # the two strongest edges without the reference: panic–anxious, .–anxious
    edges = [t for t in graph.data if t.mode == "lines"]
    assert [t.text for t in edges] == ["panic — anxious: +0.2500", ". — anxious: -0.0300"]
    with pytest.raises(InputError, match="no pairs"):
        token_graph(_explanation(pairs=False))


def test_save_html_png_json(tmp_path):
    e = _explanation()
    assert e.save(tmp_path / "e.json").read_text().startswith("{")
    assert "<html>" in e.save(tmp_path / "e.html").read_text()
    with pytest.raises(InputError, match="must end in"):
        e.save(tmp_path / "e.txt")


@pytest.mark.slow
def test_png_export(tmp_path):
    png = _explanation().save(tmp_path / "e.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

from __future__ import annotations

import shutil

import numpy as np
import pytest

import traitlens
from traitlens.plot import heatmap, save_figure


@pytest.fixture
def frame(fake_encoder):
    return traitlens.similarity(traitlens.EXAMPLE_SENTENCES, model=fake_encoder)


def test_keyword_heatmap_matches_table(frame):
    fig = heatmap(frame)
    z = np.array(fig.data[0].z)
    assert z.shape == (5, 15)
    np.testing.assert_allclose(z.reshape(-1), frame["similarity"].to_numpy())
    assert fig.layout.meta["provenance"]["model"]["id"] == "fake/hash-encoder"
    assert "fake/hash-encoder" in fig.layout.annotations[0].text


def test_factor_heatmap_is_mean_over_keywords(frame):
    fig = heatmap(frame, by="factor")
    z = np.array(fig.data[0].z)
    assert list(fig.data[0].x) == [
        "Openness to Experience", "Conscientiousness", "Extraversion", "Agreeableness", "Neuroticism"
    ]
    assert z[0, 0] == pytest.approx(frame["similarity"].iloc[:3].mean())


def test_save_html_is_self_contained(frame, tmp_path):
    from html.parser import HTMLParser

    path = save_figure(heatmap(frame), tmp_path / "h.html")

    class Scripts(HTMLParser):
        def __init__(self):
            super().__init__()
            self.srcs, self.inline = [], 0

        def handle_starttag(self, tag, attrs):
            if tag == "script":
                attrs = dict(attrs)
                if "src" in attrs:
                    self.srcs.append(attrs["src"])
                else:
                    self.inline += 1

    parser = Scripts()
    parser.feed(path.read_text())
    assert parser.srcs == [] and parser.inline >= 2  # plotly.js embedded: works offline
    assert "bigfive-keywords" in path.read_text()


@pytest.mark.slow
@pytest.mark.skipif(not (shutil.which("chromium") or shutil.which("google-chrome")), reason="needs Chromium")
def test_save_png_and_svg(frame, tmp_path):
    png = save_figure(heatmap(frame), tmp_path / "h.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = save_figure(heatmap(frame, by="factor"), tmp_path / "h.svg")
    assert "<svg" in svg.read_text()[:500]

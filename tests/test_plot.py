from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest

import traitlens
from traitlens.plot import correlation_heatmap, heatmap, save_figure


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


def block_matrix():
    """Two scales, interleaved: a1..a3 (a3 reverse-keyed) and b1, b2; nothing between the scales."""
    labels = ["a1", "b1", "a2", "b2", "a3"]
    values = np.full((5, 5), 0.05)
    np.fill_diagonal(values, 1.0)
    for x, y, value in [("a1", "a2", 0.8), ("a1", "a3", -0.7), ("a2", "a3", -0.75), ("b1", "b2", 0.6)]:
        values[labels.index(x), labels.index(y)] = values[labels.index(y), labels.index(x)] = value
    r = pd.DataFrame(values, index=pd.Index(labels, name="item"), columns=labels)
    r.attrs["provenance"] = {"traitlens_version": "0.1.0", "model": {"id": "fake/hash-encoder", "fingerprint": "f"}}
    return r


def test_correlation_heatmap_puts_related_items_together():
    matrix = block_matrix()
    fig = correlation_heatmap(matrix, {"a1": "I panic easily.", "b1": "I love parties."})
    trace = fig.data[0]
    labels = [name.split(":")[0] for name in trace.x]
    assert list(trace.y) == list(trace.x) and sorted(labels) == sorted(matrix.columns)
    blocks = "".join(label[0] for label in labels)
    assert blocks in {"aaabb", "bbaaa"}  # each scale is one block, the reversed a3 included
    np.testing.assert_allclose(np.array(trace.z), matrix.loc[labels, labels].to_numpy(), atol=1e-6)
    assert "a1: I panic easily." in trace.x and "a2" in trace.x  # full texts on hover; ids alone without one
    assert (trace.zmid, trace.zmin, trace.zmax) == (0, -1, 1) and trace.texttemplate
    assert fig.layout.xaxis.type == "category" and list(fig.layout.xaxis.ticktext) == labels
    assert fig.layout.meta["provenance"]["model"]["id"] == "fake/hash-encoder"
    assert "fake/hash-encoder" in fig.layout.annotations[-1].text
    given = correlation_heatmap(matrix, order="given").data[0]
    assert list(given.x) == list(matrix.columns)


def test_correlation_heatmap_of_texts_from_correlate(fake_encoder):
    matrix = traitlens.correlate(list(traitlens.EXAMPLE_SENTENCES), model=fake_encoder, method="cosine")
    fig = correlation_heatmap(matrix)
    assert sorted(fig.data[0].x) == sorted(traitlens.EXAMPLE_SENTENCES)  # the texts are the labels
    with pytest.raises(traitlens.InputError, match="square"):
        correlation_heatmap(matrix.iloc[:, :3])


def test_correlation_heatmap_of_1000_items_is_light(tmp_path):
    import time

    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((1000, 20))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    labels = [f"item {i}" for i in range(1000)]
    matrix = pd.DataFrame(vectors @ vectors.T, index=labels, columns=labels)
    start = time.perf_counter()
    path = save_figure(correlation_heatmap(matrix, {label: f"text {label}" for label in labels}),
                       tmp_path / "big.html")
    assert time.perf_counter() - start < 20
    fig = correlation_heatmap(matrix, order="given")
    assert fig.data[0].texttemplate is None and fig.layout.xaxis.showticklabels is False
    assert path.stat().st_size < 16e6  # values as a float32 array (base64), no per-cell text


def test_profile_radar_is_square_and_titled_for_a_radar(fake_encoder):
    from traitlens.plot import profile_chart

    frame = traitlens.profile(["I panic easily."], taxonomy="bigfive-facets", level="facet", model=fake_encoder)
    radar = profile_chart(frame, kind="radar")
    assert radar.layout.width == radar.layout.height == 950 and "bar length" not in radar.layout.title.text
    bars = profile_chart(frame)
    assert bars.layout.width == 120 * 30 and "bar length" in bars.layout.title.text


def test_heatmaps_name_the_predictor_and_the_scales_labels():
    """A correlation heatmap had not said which predictor made it; a scale heatmap showed bare ids, so a
    jingle (two scales of one label) could not be seen."""
    from traitlens.plot import scale_heatmap

    matrix = pd.DataFrame([[1.0, 0.3], [0.3, 1.0]], index=pd.Index(["a", "b"], name="item"), columns=["a", "b"])
    matrix.attrs["provenance"] = {"method": "tuned"}
    assert "(method tuned; clustered" in correlation_heatmap(matrix).layout.title.text
    pairs = pd.DataFrame({"scale_a": ["S1", "S1", "S2"], "scale_b": ["S2", "S3", "S3"],
                          "label_a": ["Dog love", "Dog love", "Cats"], "label_b": ["Cats", "Dog love", "Dog love"],
                          "content_similarity": [0.1, 0.2, 0.3]})
    ticks = list(scale_heatmap(pairs).layout.xaxis.ticktext)
    assert sorted(ticks) == ["S1: Dog love", "S2: Cats", "S3: Dog love"]

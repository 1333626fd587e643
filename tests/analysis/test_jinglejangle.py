"""Jingle-jangle rules on hand-made similarity matrices."""

from __future__ import annotations

import numpy as np
import pytest

from traitlens.analysis.jinglejangle import JINGLE_JANGLE_COLUMNS, classify_pairs, sensitivity_grid, thresholds
from traitlens.analysis.scales import ScaleSimilarity
from traitlens.errors import InputError


def similarity(content: np.ndarray, label: np.ndarray, labels: list[str]) -> ScaleSimilarity:
    n = len(labels)
    return ScaleSimilarity(tuple(f"s{i}" for i in range(n)), tuple(labels), content, label, np.eye(n), np.eye(n))


def random_case(n: int = 30, seed: int = 0) -> ScaleSimilarity:
    rng = np.random.default_rng(seed)
    c = rng.uniform(-0.2, 0.9, (n, n))
    c = (c + c.T) / 2
    np.fill_diagonal(c, 1)
    labels = [f"L{i % 20}" for i in range(n)]
    lab = rng.uniform(0, 0.8, (n, n))
    lab = (lab + lab.T) / 2
    same = np.equal.outer(np.array(labels), np.array(labels))
    lab[same] = 1
    return similarity(c, lab, labels)


def test_difference_rule_by_hand():
    content = np.array([[1, .9, .1], [.9, 1, .5], [.1, .5, 1]])
    label = np.array([[1, .3, 1], [.3, 1, .45], [1, .45, 1]])
    pairs, cuts = classify_pairs(similarity(content, label, ["A", "B", "A"]), "difference")
    assert list(pairs.columns) == JINGLE_JANGLE_COLUMNS
    assert pairs["type"].tolist() == ["jangle", "jingle", "none"]  # .9-.3 ≥ .2; 1-.1 ≥ .2; |.5-.45| < .2
    assert cuts == {"rule": "difference", "difference": 0.2}


def test_percentile_rule_matches_numpy_quantiles():
    sim = random_case()
    pairs, cuts = classify_pairs(sim, "percentile", content_percentile=0.9, label_percentile=0.95,
                                 jingle_percentile=0.5)
    c, lab = pairs["content_similarity"].to_numpy(), pairs["label_similarity"].to_numpy()
    assert cuts["content_cut"] == pytest.approx(np.quantile(c, 0.9))
    assert cuts["label_cut"] == pytest.approx(np.quantile(lab, 0.95))
    same = (pairs["label_a"] == pairs["label_b"]).to_numpy()
    jangle = (c >= cuts["content_cut"]) & (lab < cuts["label_cut"]) & ~same
    jingle = ((lab >= cuts["label_cut"]) | same) & (c < np.quantile(c, 0.5)) & ~jangle
    assert ((pairs["type"] == "jangle").to_numpy() == jangle).all()
    assert ((pairs["type"] == "jingle").to_numpy() == jingle).all()
    assert jangle.any() and jingle.any()


def test_same_label_is_never_a_jangle():
    sim = random_case(seed=3)
    pairs, _ = classify_pairs(sim, "percentile", content_percentile=0.5)
    assert not ((pairs["label_a"] == pairs["label_b"]) & (pairs["type"] == "jangle")).any()


def test_sensitivity_grid_is_monotone_in_the_content_cut():
    grid = sensitivity_grid(random_case(), content_percentiles=(0.5, 0.8, 0.95), label_percentiles=(0.9,))
    assert grid["n_jangle"].is_monotonic_decreasing
    assert grid["n_jangle"].iloc[0] > grid["n_jangle"].iloc[-1]
    assert list(grid.columns) == ["content_percentile", "label_percentile", "n_jangle", "n_jingle", "jangle_share",
                                  "jingle_share"]


@pytest.mark.parametrize(("rule", "kwargs", "message"), [
    ("vote", {}, "unknown rule"),
    ("percentile", {"content_percentile": 95}, "fraction"),
    ("difference", {"difference": -0.1}, "difference"),
])
def test_bad_parameters(rule, kwargs, message):
    with pytest.raises(InputError, match=message):
        thresholds(np.array([0.1, 0.2]), np.array([0.3, 0.4]), rule, **kwargs)


def blocks(seed: int = 0) -> ScaleSimilarity:
    """Nine scales in three content clusters; labels mixed so that relabeling has work to do."""
    rng = np.random.default_rng(seed)
    centres = np.eye(3, 16)
    content_vectors = np.vstack([centres[i // 3] + 0.15 * rng.standard_normal(16) for i in range(9)])
    content_vectors /= np.linalg.norm(content_vectors, axis=1, keepdims=True)
    labels = ["Anx", "Worry", "Fear", "Order", "Tidy", "Neat", "Talk", "Party", "Anx"]
    label_vectors = np.vstack([centres[[0, 0, 0, 1, 1, 1, 2, 2, 0][i]] + 0.1 * rng.standard_normal(16)
                               for i in range(9)])
    label_vectors /= np.linalg.norm(label_vectors, axis=1, keepdims=True)
    label = label_vectors @ label_vectors.T
    label[np.equal.outer(np.array(labels), np.array(labels))] = 1
    return ScaleSimilarity(tuple(f"s{i}" for i in range(9)), tuple(labels), content_vectors @ content_vectors.T,
                           label, content_vectors, label_vectors)


def test_cluster_scales_finds_the_three_blocks():
    from traitlens.analysis.jinglejangle import cluster_scales

    sim = blocks()
    clusters, info = cluster_scales(sim.content, "hierarchical")
    assert info["n_clusters"] == 3 and info["criterion"] == "max mean silhouette"
    assert len({tuple(clusters[i:i + 3]) for i in (0, 3, 6)}) == 3
    assert all(len(set(clusters[i:i + 3])) == 1 for i in (0, 3, 6))
    communities, info = cluster_scales(sim.content, "community")
    assert info["n_clusters"] >= 2
    with pytest.raises(InputError, match="unknown cluster method"):
        cluster_scales(sim.content, "kmeans")


def test_relabel_gives_each_cluster_one_distinct_fitting_label():
    from traitlens.analysis.jinglejangle import relabel

    frame, summary = relabel(blocks(), "hierarchical", 3)
    assert list(frame.columns) == ["scale", "label", "new_label", "cluster", "fit"]
    per_cluster = frame.groupby("cluster")["new_label"].nunique()
    assert (per_cluster == 1).all()
    assert frame.groupby("cluster")["new_label"].first().nunique() == 3
    assert summary["n_labels_before"] == 8 and summary["n_labels_after"] == 3
    first = frame.set_index("scale")["new_label"]
    assert first["s0"] in {"Anx", "Worry", "Fear"} and first["s3"] in {"Order", "Tidy", "Neat"}


def test_relabel_auto_never_makes_more_clusters_than_labels():
    """Three content blocks but two labels: ``auto`` had picked 3 clusters and failed to name them."""
    from dataclasses import replace

    from traitlens.analysis.jinglejangle import relabel

    sim = blocks()
    two = replace(sim, labels=tuple("Anx" if i < 5 else "Talk" for i in range(9)))
    frame, summary = relabel(two, "hierarchical", "auto")
    assert summary["n_clusters"] == 2 and summary["max_clusters"] == 2 and frame["new_label"].nunique() == 2
    _, three = relabel(sim, "hierarchical", "auto")
    assert three["n_clusters"] == 3 and three["max_clusters"] == 4 and three["scales_with_negative_fit"] == 0


def test_assign_cluster_labels_needs_enough_labels():
    from traitlens.analysis.jinglejangle import assign_cluster_labels

    with pytest.raises(InputError, match="only 1 labels"):
        assign_cluster_labels(np.ones((2, 1)), np.array([0, 1]))


# The API functions over these analyses, with the deterministic fake encoder.
SCALE_ROWS = [(s, label, f"{s} item {i}", 1 if i % 2 else -1) for s, label in
              [("a", "Anx"), ("b", "Worry"), ("c", "Order"), ("d", "Tidy"), ("e", "Anx")] for i in range(3)]


def test_api_jingle_jangle_relabel_and_map(fake_encoder):
    import pandas as pd

    from traitlens.api import jingle_jangle, relabel, scale_map
    from traitlens.plot import scale_map as map_figure

    frame = pd.DataFrame(SCALE_ROWS, columns=["scale", "label", "text", "key"])
    pairs = jingle_jangle(frame, fake_encoder, all_pairs=True)
    assert list(pairs.columns) == JINGLE_JANGLE_COLUMNS and len(pairs) == 10
    record = pairs.attrs["provenance"]
    assert record["thresholds"]["rule"] == "percentile" and record["scales"]["n_scales"] == 5
    assert record["content"] == {"method": "pairwise", "signed": False, "center": "reference",
                                 "n_reference": record["content"]["n_reference"], "definitions": False,
                                 "labels_centred_on": 0}  # the percentile rule keeps raw label cosines
    same = pairs[(pairs["scale_a"] == "a") & (pairs["scale_b"] == "e")]
    assert same["label_similarity"].iloc[0] == 1.0
    flagged = jingle_jangle(frame, fake_encoder)
    assert len(flagged) == (pairs["type"] != "none").sum()

    new = relabel(frame, fake_encoder, n_clusters=2)
    assert list(new.columns) == ["scale", "label", "new_label", "cluster", "fit"]
    assert new.groupby("cluster")["new_label"].nunique().eq(1).all()
    assert new.attrs["provenance"]["relabel"]["n_labels_after"] == 2

    coords = scale_map(frame, fake_encoder, level="item", method="mds")
    assert list(coords.columns) == ["name", "x", "y", "group", "text"] and len(coords) == 15
    fig = map_figure(coords)
    assert len(fig.data) == 5 and fig.layout.meta["provenance"]["map"]["method"] == "mds"


def test_api_short_form(fake_encoder):
    import pandas as pd

    from traitlens.api import short_form

    frame = pd.DataFrame(SCALE_ROWS, columns=["scale", "label", "text", "key"])
    table = short_form(frame, fake_encoder, k=2, method="cosine")
    assert table.groupby("scale")["kept"].sum().eq(2).all()
    summary = pd.DataFrame(table.attrs["provenance"]["short_form"]["summary"])
    assert len(summary) == 5 and summary["r_short_full"].between(-1, 1).all()


def test_api_short_form_flags_items_that_differ_only_in_punctuation(fake_encoder):
    import pandas as pd

    from traitlens.api import short_form

    rows = [("w", "Well-being", "I am happy.", 1), ("w", "Well-being", "I am  HAPPY!", 1),
            ("w", "Well-being", "I enjoy my life.", 1), ("n", "Worry", "I worry a lot.", 1),
            ("n", "Worry", "I panic easily.", 1), ("n", "Worry", "I stay calm.", -1)]
    table = short_form(pd.DataFrame(rows, columns=["scale", "label", "text", "key"]), fake_encoder, k=2,
                       method="cosine", duplicate_threshold=1.0)
    duplicates = table.attrs["provenance"]["short_form"]["near_duplicates"]
    assert [(d["item_a"], d["item_b"], d["same_text"]) for d in duplicates] == [("I am happy.", "I am  HAPPY!", True)]


def test_api_content_methods_match_numpy(fake_encoder):
    """The API's content similarity: the pairwise default and the mean-vector option against numpy formulas."""
    import pandas as pd

    from traitlens.api import jingle_jangle
    from traitlens.constructs.scales import reference_texts

    frame = pd.DataFrame(SCALE_ROWS, columns=["scale", "label", "text", "key"])
    def encode(texts: list[str]) -> np.ndarray:
        return np.asarray(fake_encoder.encode(texts), dtype=np.float64)

    centre = encode(reference_texts()).mean(axis=0)
    items = {s: encode(frame[frame["scale"] == s]["text"].tolist()) - centre for s in "abcde"}
    unit = {s: v / np.linalg.norm(v, axis=1, keepdims=True) for s, v in items.items()}
    for content in ("pairwise", "mean"):
        pairs = jingle_jangle(frame, fake_encoder, all_pairs=True, content=content)
        assert pairs.attrs["provenance"]["content"]["method"] == content
        for row in pairs.itertuples():
            if content == "pairwise":
                expected = (unit[row.scale_a] @ unit[row.scale_b].T).mean()
            else:
                ma, mb = items[row.scale_a].mean(axis=0), items[row.scale_b].mean(axis=0)
                expected = ma @ mb / np.linalg.norm(ma) / np.linalg.norm(mb)
            assert row.content_similarity == pytest.approx(expected, abs=1e-6)  # float32 encoder output
    with pytest.raises(InputError, match="unknown content method 'max'"):
        jingle_jangle(frame, fake_encoder, content="max")


def test_api_difference_rule_centres_labels_on_the_reference_labels(fake_encoder):
    """With the difference rule, label cosines after subtracting the mean of the built-in inventories' labels."""
    import pandas as pd

    from traitlens.api import jingle_jangle
    from traitlens.constructs.scales import reference_labels

    frame = pd.DataFrame(SCALE_ROWS, columns=["scale", "label", "text", "key"])
    centre = np.asarray(fake_encoder.encode(reference_labels()), dtype=np.float64).mean(axis=0)
    vectors = {label: np.asarray(fake_encoder.encode([label]), dtype=np.float64)[0]
               for label in ("Anx", "Worry", "Order", "Tidy")}

    def cosine(a: np.ndarray, b: np.ndarray) -> float:
        return float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))

    for rule, center, shift in (("difference", "reference", centre), ("difference", "collection", centre),
                                ("difference", "none", 0.0), ("percentile", "reference", 0.0)):
        pairs = jingle_jangle(frame, fake_encoder, rule=rule, center=center, all_pairs=True)
        assert pairs.attrs["provenance"]["content"]["labels_centred_on"] == (
            len(reference_labels()) if np.any(shift) else 0)
        for row in pairs[pairs["label_a"] != pairs["label_b"]].itertuples():
            expected = cosine(vectors[row.label_a] - shift, vectors[row.label_b] - shift)
            assert row.label_similarity == pytest.approx(expected, abs=1e-6), (rule, center)


@pytest.mark.parametrize(("rule", "expected"), [("percentile", "pairwise"), ("difference", "mean")])
def test_api_auto_content_follows_the_rule(fake_encoder, rule, expected):
    import pandas as pd

    from traitlens.api import jingle_jangle

    frame = pd.DataFrame(SCALE_ROWS, columns=["scale", "label", "text", "key"])
    auto = jingle_jangle(frame, fake_encoder, rule=rule, all_pairs=True)
    given = jingle_jangle(frame, fake_encoder, rule=rule, all_pairs=True, content=expected)
    assert auto.attrs["provenance"]["content"]["method"] == expected
    np.testing.assert_allclose(auto["content_similarity"], given["content_similarity"])


def test_difference_rule_with_the_real_model_flags_few_jingles(real_encoder):
    """Centred labels and centred content on one scale: the difference rule does not call most pairs jingles.

    With raw label cosines (unrelated construct names at about .25) against centred content, δ = .20
    called over half of all pairs of a large collection jingles, e.g. "Callousness" vs "Interest in
    Home-Making"; on the SPI-135's 32 scales it now flags under a tenth, and unrelated labels sit near 0.
    """
    from traitlens.api import jingle_jangle

    pairs = jingle_jangle("spi135", real_encoder, rule="difference", all_pairs=True)
    different = pairs[pairs["label_a"] != pairs["label_b"]]
    assert (different["type"] == "jingle").mean() < 0.10
    assert abs(different["label_similarity"].median()) < 0.1
    small = jingle_jangle(pd_frame([("a", "Loneliness", "I often feel lonely."),
                                    ("a", "Loneliness", "I feel left out."),
                                    ("b", "Worry", "I worry about many things."),
                                    ("b", "Worry", "My worries overwhelm me."),
                                    ("c", "Curiosity", "I love to learn new things."),
                                    ("c", "Curiosity", "I enjoy exploring ideas.")]),
                          real_encoder, rule="difference", all_pairs=True)
    assert (small["type"] == "none").all(), small


def pd_frame(rows: list[tuple[str, str, str]]):
    import pandas as pd

    return pd.DataFrame(rows, columns=["scale", "label", "text"])

"""Semantic factor analysis: parallel analysis, EFA, congruence — on simulated factor structures."""

from __future__ import annotations

import numpy as np
import pytest

from traitlens.analysis.profiles import BipolarProfile, contrast_correlations
from traitlens.analysis.structure import (
    agreement,
    assign_items,
    efa,
    keyed_signs,
    keys_from_correlations,
    loading_frame,
    match_factors,
    max_factors,
    membership_correlations,
    membership_features,
    parallel_analysis,
    semantic_factors,
    smooth_correlations,
    tucker_congruence,
)
from traitlens.errors import InputError


def simulated(k: int = 3, per: int = 6, loading: float = 0.7) -> tuple[np.ndarray, np.ndarray]:
    """Population correlations of a simple-structure model with ``k`` factors and ``per`` items each."""
    lam = np.zeros((k * per, k))
    for j in range(k):
        lam[j * per:(j + 1) * per, j] = loading
    lam[1::2] *= -1  # reverse-keyed items load negatively
    r = lam @ lam.T
    np.fill_diagonal(r, 1)
    return r, lam


def test_parallel_analysis_finds_the_simulated_count():
    r, _ = simulated(k=3)
    pa = parallel_analysis(r, dim=384, n_iter=30)
    assert pa.n_factors == 3
    assert pa.eigenvalues[2] > pa.null[2] and pa.eigenvalues[3] < pa.null[3]


def test_parallel_analysis_of_random_vectors_finds_one_at_most():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((20, 384))
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    assert parallel_analysis(x @ x.T, dim=384, n_iter=50, seed=1).n_factors == 1


def test_efa_recovers_the_loadings():
    r, lam = simulated(k=3)
    loadings = efa(r, 3, rotation="oblimin")
    match = match_factors(loadings, lam)
    assert match["phi"].min() > 0.99
    assert agreement(assign_items(loadings), np.repeat(["a", "b", "c"], 6)) == {"nmi": 1.0, "ari": 1.0}


def test_too_many_factors_is_an_input_error():
    r, _ = simulated(k=2, per=3)
    assert max_factors(6) == 3
    with pytest.raises(InputError, match="between 1 and 3"):
        efa(r, 4)


def test_tucker_congruence_formula():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((10, 2)), rng.standard_normal((10, 3))
    phi = tucker_congruence(a, b)
    expected = a[:, 1] @ b[:, 2] / np.sqrt((a[:, 1] ** 2).sum() * (b[:, 2] ** 2).sum())
    assert phi[1, 2] == pytest.approx(expected)


def test_match_factors_undoes_a_permutation_and_sign_flip():
    _, lam = simulated(k=3)
    shuffled = -lam[:, [2, 0, 1]]
    match = match_factors(shuffled, lam).sort_values("factor_a")
    assert match["factor_b"].tolist() == [2, 0, 1]
    assert np.allclose(match["phi"], 1)


def test_smooth_correlations_makes_a_non_psd_matrix_usable():
    r = np.array([[1, .9, -.9], [.9, 1, .9], [-.9, .9, 1]])
    s = smooth_correlations(r)
    assert np.linalg.eigvalsh(s).min() > 0
    assert np.allclose(np.diag(s), 1)


def test_semantic_factors_auto_and_frame():
    r, _ = simulated(k=2, per=5)
    solution = semantic_factors(r, dim=384, n_iter=20)
    assert solution.n_factors == 2 and solution.loadings.shape == (10, 2)
    frame = loading_frame(solution.loadings, [f"i{j}" for j in range(10)])
    assert list(frame.columns) == ["item", "factor", "loading"] and len(frame) == 20
    with pytest.raises(InputError, match="n_factors"):
        semantic_factors(r, dim=384, n_factors="many")


def valenced_profile(k: int = 3, per: int = 6, extra: int = 3, valence: float = 0.15,
                     seed: int = 0) -> tuple[BipolarProfile, np.ndarray]:
    """Profiles of ``k * per`` items, ``per`` per construct, alternately keyed, whose contrasts share a valence.

    Each item is relevant to its own construct (cosine .5 with the pole it is keyed to, .1 with the
    other) and to none of the other ``k - 1 + extra`` constructs (.2 with both poles, plus noise of sd
    .02), but leans ``valence`` toward the high pole of every construct if keyed +1 and toward the
    low poles if keyed -1 — the evaluative direction that real items share.
    """
    n, m = k * per, k + extra
    rng = np.random.default_rng(seed)
    scale = np.repeat(np.arange(k), per)
    keys = np.where(np.arange(n) % 2 == 0, 1.0, -1.0)
    high = 0.2 + valence * keys[:, None] + 0.02 * rng.standard_normal((n, m))
    low = 0.2 - valence * keys[:, None] + 0.02 * rng.standard_normal((n, m))
    rows = np.arange(n)
    high[rows, scale] = np.where(keys > 0, 0.5, 0.1)
    low[rows, scale] = np.where(keys > 0, 0.1, 0.5)
    empty = np.zeros((m, 2))
    names = tuple(f"c{j}" for j in range(m))
    profile = BipolarProfile(tuple(f"t{i}" for i in range(n)), names, high, low, np.zeros(2), empty, empty)
    return profile, scale


def test_membership_features_are_keyed_softmax_weights_per_block():
    profile, scale = valenced_profile()
    v = membership_features(profile, profile)
    assert v.shape == (18, 12)
    assert np.allclose(np.abs(v[:, :6]).sum(axis=1), 1) and np.allclose(np.abs(v[:, 6:]).sum(axis=1), 1)
    assert np.array_equal(np.abs(v[:, :6]).argmax(axis=1), scale)
    assert np.array_equal(np.sign(v[np.arange(18), scale]), np.where(np.arange(18) % 2 == 0, 1.0, -1.0))
    with pytest.raises(InputError, match="at least one profile"):
        membership_features()


def test_membership_recovers_the_structure_that_a_shared_valence_hides_from_contrasts():
    profile, scale = valenced_profile()
    member = efa(membership_correlations(profile), 3)
    contrast = efa(contrast_correlations(profile), 3)
    assert agreement(assign_items(member), scale) == {"nmi": 1.0, "ari": 1.0}
    assert agreement(assign_items(contrast), scale)["nmi"] < 0.5  # the valence is the first factor
    truth = np.zeros((18, 3))
    truth[np.arange(18), scale] = np.where(np.arange(18) % 2 == 0, 1.0, -1.0)
    assert match_factors(member, truth)["phi"].min() > 0.95


def test_keyed_signs_match_a_direct_loop_on_random_data():
    rng = np.random.default_rng(3)
    contrast = rng.standard_normal((12, 4))
    scales = list("AAAABBBBCCCC")
    keys = rng.choice([1.0, -1.0], 12)
    keys[5] = np.nan
    out = keyed_signs(contrast, scales, keys)
    for i in range(12):
        for c in range(4):
            if np.isnan(keys[i]):
                expected = np.sign(contrast[i, c])
            else:
                same = [j for j in range(12) if scales[j] == scales[i] and not np.isnan(keys[j])]
                expected = keys[i] * np.sign(sum(keys[j] * contrast[j, c] for j in same))
            assert out[i, c] == expected


def test_key_aware_membership_repairs_a_mis_signed_contrast():
    profile, scale = valenced_profile()
    keys = np.where(np.arange(18) % 2 == 0, 1.0, -1.0)
    flipped = BipolarProfile(profile.texts, profile.constructs, profile.high.copy(), profile.low.copy(),
                             profile.center, profile.high_prototypes, profile.low_prototypes)
    flipped.high[0], flipped.low[0] = profile.low[0].copy(), profile.high[0].copy()  # item 0 reads reversed
    free = membership_features(flipped)
    keyed = membership_features(flipped, scales=scale, keys=keys)
    assert np.sign(free[0, 0]) == -1 and np.sign(keyed[0, 0]) == 1
    conf = np.nan_to_num(flipped.confidence)
    assert np.allclose(np.abs(keyed), conf)  # the magnitudes are the profile's confidence
    r = membership_correlations(flipped, scales=scale, keys=keys)
    v = keyed / np.linalg.norm(keyed, axis=1, keepdims=True)
    assert np.allclose(r, v @ v.T)
    with pytest.raises(InputError, match="both scales and keys"):
        membership_features(profile, scales=scale)
    with pytest.raises(InputError, match="one scale and one key per text"):
        keyed_signs(profile.contrast, scale[:3], keys)
    with pytest.raises(InputError, match="keys must be"):
        keyed_signs(profile.contrast, scale, np.full(18, 2.0))


@pytest.mark.slow
def test_ipip50_semantic_factors_against_theory_and_the_big5_responses(real_encoder, shared_data, monkeypatch):
    """Regression guard on real data (benchmarks/scales.py, cosine, 5 factors: NMI .428, mean φ .249)."""
    from traitlens.api import factors
    from traitlens.datasets import load_responses

    monkeypatch.setenv("TRAITLENS_DATA_DIR", str(shared_data))
    frame = factors("ipip50", real_encoder, n_factors=5, method="cosine")
    record = frame.attrs["provenance"]["factors"]
    assert record["parallel_analysis"]["n_factors"] == 8
    assert record["theory"]["nmi"] > 0.35
    loadings = frame.pivot(index="item", columns="factor", values="loading")
    observed = load_responses("big5").item_correlations().loc[loadings.index, loadings.index].to_numpy()
    phi = match_factors(loadings.to_numpy(), efa(observed, 5))["phi"]
    assert phi.max() > 0.5  # one factor (Neuroticism) is recovered; the mean is .25


@pytest.mark.slow
def test_ipip50_membership_factors_recover_the_domains(real_encoder, shared_data, monkeypatch):
    """The default (membership) vs the profile's contrast correlations, same leakage-guarded exemplars.

    benchmarks/scales.py (all-MiniLM-L6-v2, 5 factors): membership NMI .648, mean φ .479; the
    contrasts' factors follow desirability instead (NMI .165).
    """
    from traitlens.api import factors
    from traitlens.constructs.exemplars import exemplar_pool
    from traitlens.constructs.inventory import load_inventory
    from traitlens.datasets import load_responses
    from traitlens.evaluation.leakage import exclude_overlaps

    monkeypatch.setenv("TRAITLENS_DATA_DIR", str(shared_data))
    texts = load_inventory("ipip50").frame["text"].tolist()
    pool = exemplar_pool(exclude_inventory="ipip50", data_dir=shared_data)
    kept, _ = exclude_overlaps(texts, pool["text"].tolist(), encoder=real_encoder)
    pool = pool.iloc[kept]
    runs = {method: factors("ipip50", real_encoder, n_factors=5, method=method, exemplars=pool, cache=False)
            for method in ("auto", "profile")}
    default = runs["auto"].attrs["provenance"]
    assert default["method"] == "membership" and default["predictor"] == "membership"
    assert default["factors"]["parallel_analysis"]["dim"] == 35
    assert default["factors"]["theory"]["nmi"] > 0.6
    assert runs["profile"].attrs["provenance"]["factors"]["theory"]["nmi"] < 0.3
    # key-aware signs (the default with keys) vs the contrasts' own: mean φ .848 vs .479 (scales.md)
    assert default["signs"] == "keys"
    free = factors("ipip50", real_encoder, n_factors=5, exemplars=pool, cache=False, use_keys=False,
                   infer_keys=False)
    assert free.attrs["provenance"]["signs"] == "contrast"
    observed = load_responses("big5").item_correlations()
    phi = {}
    for name, frame in (("keys", runs["auto"]), ("contrast", free)):
        loadings = frame.pivot(index="item", columns="factor", values="loading")
        human = efa(observed.loc[loadings.index, loadings.index].to_numpy(), 5)
        phi[name] = match_factors(loadings.to_numpy(), human)["phi"].mean()
    assert phi["keys"] > 0.8 and phi["contrast"] < 0.6
    loadings = runs["auto"].pivot(index="item", columns="factor", values="loading")
    observed = load_responses("big5", shared_data).item_correlations().loc[loadings.index, loadings.index]
    assert match_factors(loadings.to_numpy(), efa(observed.to_numpy(), 5))["phi"].mean() > 0.45


def test_keys_from_correlations_recovers_keys_and_orients_each_group():
    rng = np.random.default_rng(3)
    keys = np.array([1, 1, -1, 1, -1, 1, -1, -1, -1, 1.0])
    groups = ["A"] * 5 + ["B"] * 5
    r = 0.4 * np.outer(keys, keys) * (np.array(groups)[:, None] == np.array(groups)[None, :])
    r += rng.normal(0, 0.05, r.shape)
    r = (r + r.T) / 2
    np.fill_diagonal(r, 1.0)
    got = keys_from_correlations(r, groups)
    # the pattern within each group is the truth's up to one flip, oriented so most items are +1
    for g in ("A", "B"):
        idx = np.flatnonzero(np.array(groups) == g)
        assert abs(got[idx] @ keys[idx]) == len(idx)
        assert got[idx].sum() > 0
    assert keys_from_correlations(np.eye(3), ["x", "y", "z"]).tolist() == [1.0, 1.0, 1.0]
    with pytest.raises(InputError, match="one group per text"):
        keys_from_correlations(np.eye(3), ["x", "y"])


def test_keyed_signs_do_not_depend_on_the_orientation_of_inferred_keys():
    """keys_from_correlations orients each group arbitrarily; keyed_signs must not care."""
    rng = np.random.default_rng(0)
    contrast = rng.normal(size=(6, 4))
    scales, keys = ["A", "A", "A", "B", "B", "B"], np.array([1, -1, 1, -1, -1, 1.0])
    flipped = keys * np.array([-1, -1, -1, 1, 1, 1])
    np.testing.assert_array_equal(keyed_signs(contrast, scales, keys), keyed_signs(contrast, scales, flipped))


def test_keys_inferred_from_observed_correlations_match_the_inventory(shared_data):
    """On real responses the method is exact: IPIP-50's keys from the BIG5 correlations within its scales."""
    from traitlens.constructs.inventory import load_inventory
    from traitlens.datasets import load_responses

    items = load_inventory("ipip50").frame.drop_duplicates("item")
    observed = load_responses("big5", shared_data).item_correlations()
    ids = items["item"].astype(str).tolist()
    got = keys_from_correlations(observed.loc[ids, ids].to_numpy(), items["scale"].tolist())
    truth = items["key"].to_numpy(float)
    for scale in items["scale"].unique():
        idx = np.flatnonzero(items["scale"].to_numpy() == scale)
        assert abs(got[idx] @ truth[idx]) == len(idx), scale

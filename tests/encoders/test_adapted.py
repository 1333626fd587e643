"""LoRA adapters: the file format, the plain-torch merge, the adapted encoder's fingerprint and checks."""

from __future__ import annotations

import importlib.util
import json
import threading
import zipfile

import numpy as np
import pytest

from traitlens.encoders import load_encoder
from traitlens.encoders.adapted import (
    ADAPTER_FILE,
    AdaptedEncoder,
    adapted_encoder_for,
    find_adapter,
    merge_adapter,
    read_adapter,
    shipped_adapters,
    write_adapter,
)
from traitlens.encoders.sentence_transformer import SentenceTransformerEncoder
from traitlens.errors import InputError

from ..fakes import FakeEncoder

torch = pytest.importorskip("torch")


def factors(rank: int = 2, seed: int = 0) -> dict[str, tuple[np.ndarray, np.ndarray, float]]:
    rng = np.random.default_rng(seed)
    return {"0": (rng.standard_normal((rank, 4)), rng.standard_normal((3, rank)), 0.5),
            "1": (rng.standard_normal((rank, 3)), rng.standard_normal((2, rank)), 2.0)}


def tiny() -> object:
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.Linear(3, 2))


def write(path, dtype="float32", fingerprint="f" * 16, base="sentence-transformers/all-MiniLM-L6-v2", **kw):
    return write_adapter(path, kw.pop("f", None) or factors(), base_id=base, base_fingerprint=fingerprint, rank=2,
                         alpha=4.0, name="t", dtype=dtype, **kw)


def test_write_then_read_round_trips_factors_scalings_and_metadata(tmp_path):
    checksum = write(tmp_path / "a.npz", training={"steps": 3})
    adapter = read_adapter(tmp_path / "a.npz")
    assert adapter.checksum == checksum and len(checksum) == 16 and adapter.rank == 2
    assert adapter.meta["training"] == {"steps": 3} and adapter.base_fingerprint == "f" * 16
    for name, (a, b, s) in factors().items():
        got = adapter.factors[name]
        assert np.allclose(got[0], a, atol=1e-6) and np.allclose(got[1], b, atol=1e-6) and got[2] == s
    # float16 storage: half the factor bytes, the same values to fp16 precision
    write(tmp_path / "h.npz", dtype="float16")
    half = read_adapter(tmp_path / "h.npz").factors["0"][0]
    assert half.dtype == np.float32 and np.allclose(half, factors()["0"][0], atol=2e-3)


def test_merge_adds_scaled_low_rank_update_to_each_linear_weight(tmp_path):
    write(tmp_path / "a.npz")
    model = tiny()
    before = [m.weight.detach().clone().numpy() for m in model]
    assert merge_adapter(model, read_adapter(tmp_path / "a.npz")) == 2
    for i, (a, b, s) in enumerate(factors().values()):
        assert np.allclose(model[i].weight.detach().numpy(), before[i] + s * b @ a, atol=1e-5)


@pytest.mark.parametrize(("change", "words"), [
    ({"f": {"0": (np.ones((2, 5)), np.ones((3, 2)), 1.0)}}, r"0 is \(3, 4\), the adapter's update is \(3, 5\)"),
    ({"f": {"9": (np.ones((2, 4)), np.ones((3, 2)), 1.0)}}, "no linear layer 9"),
])
def test_an_adapter_that_does_not_fit_the_model_is_refused_before_any_weight_changes(tmp_path, change, words):
    write(tmp_path / "a.npz", **change)
    model = tiny()
    before = model[0].weight.detach().clone()
    with pytest.raises(InputError, match=words):
        merge_adapter(model, read_adapter(tmp_path / "a.npz"))
    assert torch.equal(model[0].weight, before)


def test_corrupted_truncated_or_foreign_files_are_clear_input_errors(tmp_path):
    good = tmp_path / "a.npz"
    write(good)
    data = good.read_bytes()
    (tmp_path / "trunc.npz").write_bytes(data[: len(data) // 2])
    (tmp_path / "text.npz").write_text("not a zip")
    np.savez(tmp_path / "foreign.npz", x=np.ones(3))
    with zipfile.ZipFile(good) as z:
        members = {n: z.read(n) for n in z.namelist()}
    meta = json.loads(str(np.load(good)["__meta__"]))
    with zipfile.ZipFile(tmp_path / "nofactor.npz", "w") as z:
        for name, payload in members.items():
            if name != "0.A.npy":
                z.writestr(name, payload)
    np.savez(tmp_path / "format.npz", __meta__=np.array(json.dumps({**meta, "format": "other/9"})))
    cases = {"trunc.npz": "not a readable adapter", "text.npz": "not a readable adapter",
             "foreign.npz": "no metadata", "nofactor.npz": "factors of module 0 are missing",
             "format.npz": "unsupported adapter format", "missing.npz": "no adapter file"}
    for name, words in cases.items():
        with pytest.raises(InputError, match=words) as info:
            read_adapter(tmp_path / name)
        assert name in str(info.value)


def test_find_adapter_accepts_a_file_a_finetune_folder_and_a_shipped_name(tmp_path):
    write(tmp_path / "x.npz")
    (tmp_path / "run").mkdir()
    write(tmp_path / "run" / ADAPTER_FILE)
    assert find_adapter(tmp_path / "x.npz") == tmp_path / "x.npz"
    assert find_adapter(tmp_path / "run") == tmp_path / "run" / ADAPTER_FILE
    assert find_adapter(tmp_path) is None and find_adapter("sentence-transformers/all-MiniLM-L6-v2") is None
    for name, path in shipped_adapters().items():
        assert find_adapter(name) == path


def test_adapted_encoder_has_its_own_fingerprint_and_refuses_another_base(tmp_path):
    base = SentenceTransformerEncoder()
    write(tmp_path / "a.npz", fingerprint=base.fingerprint)
    adapted = AdaptedEncoder(tmp_path / "a.npz")
    assert adapted.fingerprint != base.fingerprint and adapted.dim == base.dim
    assert adapted.name == f"{base.name}+t" and adapted.adapter.record()["checksum"] == adapted.adapter.checksum
    write(tmp_path / "b.npz", fingerprint=base.fingerprint, f=factors(seed=1))
    assert AdaptedEncoder(tmp_path / "b.npz").fingerprint != adapted.fingerprint  # another adapter, another key
    write(tmp_path / "c.npz", fingerprint="0" * 16)
    with pytest.raises(InputError, match="trained on .* with fingerprint 0000000000000000"):
        AdaptedEncoder(tmp_path / "c.npz")
    cached = load_encoder(tmp_path / "a.npz")  # load_encoder knows adapters; the cache keys on the new fingerprint
    assert cached.fingerprint == adapted.fingerprint
    with pytest.raises(InputError, match="torch backend only"):
        load_encoder(tmp_path / "a.npz", backend="onnx")


def test_adapted_encoder_for_needs_a_shipped_adapter_or_a_torch_model(tmp_path):
    with pytest.raises(InputError, match="needs a sentence-transformers model"):
        adapted_encoder_for(FakeEncoder())
    base = SentenceTransformerEncoder()
    with pytest.raises(InputError, match="no adapter here"):
        adapted_encoder_for(base, tmp_path)
    write(tmp_path / "a.npz", fingerprint=base.fingerprint)
    cached = load_encoder(None)
    tuned = adapted_encoder_for(cached, tmp_path / "a.npz")
    assert tuned.fingerprint == AdaptedEncoder(tmp_path / "a.npz").fingerprint
    assert tuned.cache is cached.cache  # same cache file, other key
    assert adapted_encoder_for(tuned) is tuned


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("peft") is None, reason="peft (train extra) is not installed")
def test_merged_model_equals_the_peft_model(tmp_path):
    from sentence_transformers import SentenceTransformer

    from traitlens.finetuning.adapter import add_lora, export_adapter

    base = SentenceTransformerEncoder()
    model = SentenceTransformer(str(base.path), device="cpu")
    add_lora(model, rank=4, alpha=8.0)
    torch.manual_seed(1)
    with torch.no_grad():  # peft starts B at zero: give the update something to do
        for name, parameter in model.named_parameters():
            if "lora_B" in name:
                parameter.normal_(0, 0.05)
    texts = ["I am the life of the party.", "I panic easily.", "I have a vivid imagination."]
    expected = model.encode(texts, convert_to_numpy=True, normalize_embeddings=True)
    export_adapter(model, tmp_path / "a.npz", base_id=base.name, base_fingerprint=base.fingerprint, rank=4,
                   alpha=8.0, name="t", dtype="float32")
    adapted = AdaptedEncoder(tmp_path / "a.npz")
    got = adapted.encode(texts)
    assert np.abs(got - expected).max() < 1e-5
    assert np.abs(got - base.encode(texts)).max() > 1e-2  # the adapter does change the vectors


@pytest.mark.slow
def test_an_adapted_encoder_of_a_shared_model_holds_the_shared_lock(tmp_path):
    """A server's model is shared through a SerializedEncoder: the adapted model must take the same lock."""
    from traitlens.cache import CachedEncoder, EmbeddingCache
    from traitlens.encoders.serialized import SerializedEncoder, serialized_layer

    base = SentenceTransformerEncoder()
    shared = SerializedEncoder(base)
    tuned = adapted_encoder_for(CachedEncoder(shared, EmbeddingCache(tmp_path / "cache")))  # the shipped adapter
    layer = serialized_layer(tuned)
    assert layer is not None and layer is not shared and layer.lock is shared.lock
    assert isinstance(layer.inner, AdaptedEncoder)
    assert serialized_layer(adapted_encoder_for(base)) is None  # nothing shared: no lock
    done = threading.Event()
    worker = threading.Thread(target=lambda: (layer.encode(["A text nobody encoded before."]), done.set()))
    with shared.lock:  # another request holds the model: the adapted encoder waits for it
        worker.start()
        assert not done.wait(0.5)
    worker.join(timeout=60)
    assert done.is_set()


def test_the_shipped_adapters_fit_the_bundled_model_and_have_cards():
    from traitlens.api import TUNED_BY_DEFAULT, auto_correlation_method
    from traitlens.encoders.adapted import shipped_adapter_for, shipped_adapters_for

    base = SentenceTransformerEncoder()
    members = shipped_adapters_for(base.fingerprint)
    assert len(members) == 4 and shipped_adapter_for(base.fingerprint) == members[0]  # the ensemble, first named
    assert sum(p.stat().st_size for p in members) < 6_000_000
    card = members[0].with_suffix(".md").read_text()
    for words in ("Leave-one-dataset-out", "licence", "acceptance holdout", "ensemble"):
        assert words in card, words
    for path in members:
        adapter = read_adapter(path)
        assert adapter.base_fingerprint == base.fingerprint
        assert adapter.checksum in card and path.with_suffix(".md").is_file()
    assert auto_correlation_method(base) == ("tuned" if TUNED_BY_DEFAULT else "head")
    assert auto_correlation_method(FakeEncoder()) == "profile"


def test_every_shipped_adapter_has_a_card_and_a_head_and_members_name_their_ensemble():
    from traitlens.training.head import available_heads

    adapters = shipped_adapters()
    heads = {h.model_name.rsplit("+", 1)[-1] for h in available_heads() if "+" in h.model_name}
    assert {"all-MiniLM-L6-v2-traitlens", "all-mpnet-base-v2-traitlens"} <= set(adapters)
    for name, path in adapters.items():
        card = path.with_suffix(".md").read_text()
        assert read_adapter(path).checksum in card and name in heads, name
        first, _, seed = name.rpartition("-s")
        if first in adapters and seed.isdigit():  # another seed of a shipped adapter: an ensemble member
            assert f"`{first}" in card and "seed" in card and "ensemble" in card, name
        first, _, kind = name.rpartition("-")
        if first in adapters and kind == "distill":  # a distilled member: names its ensemble and its teacher
            assert f"`{first}`" in card and "ensemble" in card and "teacher" in card, name
            assert f"`{name}.npz`" in adapters[first].with_suffix(".md").read_text()  # and the ensemble names it


def test_tuned_averages_the_shipped_ensemble_and_records_every_member():
    from traitlens.encoders.adapted import shipped_adapters_for
    from traitlens.engine import item_correlations

    base = SentenceTransformerEncoder()
    texts = ["I am the life of the party.", "I keep in the background.", "I worry about things.", "I am relaxed."]
    matrix, provenance = item_correlations(texts, base, "tuned")
    members = shipped_adapters_for(base.fingerprint)
    singles = [item_correlations(texts, base, "tuned", adapter=str(m))[0] for m in members]
    np.testing.assert_allclose(matrix, np.mean(singles, axis=0), atol=1e-12)
    assert provenance["ensemble"] == 4 and [a["name"] for a in provenance["adapter"]] == [m.stem for m in members]
    assert all(a["via"] == "head" for a in provenance["adapter"])  # each member has its own shipped head
    assert not np.allclose(singles[0], singles[1])  # the members differ: the mean is not one of them
    with pytest.raises(InputError, match="2 heads for 4 adapters"):
        item_correlations(texts, base, "tuned", head=[None, None])
    with pytest.raises(InputError, match="empty list of adapters"):
        item_correlations(texts, base, "tuned", adapter=[])
    two, record = item_correlations(texts, base, "tuned", adapter=[str(m) for m in members[:2]])  # a chosen ensemble
    np.testing.assert_allclose(two, np.mean(singles[:2], axis=0), atol=1e-12)
    assert record["ensemble"] == 2

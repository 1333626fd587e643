"""Pluggable methods for the evaluation harness.

A method answers two questions about a list of item texts:

* :meth:`Method.item_correlations` — predicted correlations between items (n × n);
* :meth:`Method.construct_scores` — a score of every item on every construct of
  a taxonomy level (items × constructs), signed or not.

Methods register by name with :func:`register_method`; later issues add theirs.
Methods that learn from, or compare against, items of other inventories must
obtain them through :meth:`MethodContext.usable_exemplars`, which applies the
leakage guard and records what it dropped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from traitlens.constructs.bigfive import canonical_factor
from traitlens.constructs.exemplars import exemplar_pool
from traitlens.constructs.taxonomy import Taxonomy, load_taxonomy
from traitlens.encoders import Encoder
from traitlens.engine import bipolar, item_correlations, keyword_similarity, label_similarity
from traitlens.errors import InputError
from traitlens.evaluation.leakage import exclude_overlaps


@dataclass
class MethodContext:
    """What a method may know about the evaluation it runs in.

    Attributes
    ----------
    encoder : Encoder
        The model under evaluation.
    scored_texts : list of str
        The items being scored; never to be used as exemplars or training data.
    inventory : str or None
        Name of the scored inventory (its keys and scale memberships are off limits).
    guard_encoder : Encoder, optional
        Encoder for the leakage guard's cosine test (default model).
    data_dir : Path, optional
        The shared data folder of the run (for methods that draw exemplars from it).
    exclusions : list of DataFrame
        Reports of exemplars dropped by the guard, filled by :meth:`usable_exemplars`.
    """

    encoder: Encoder
    scored_texts: list[str]
    inventory: str | None = None
    guard_encoder: Encoder | None = None
    data_dir: Path | None = None
    exclusions: list[pd.DataFrame] = field(default_factory=list)

    def usable_exemplars(self, candidates: Sequence[str], source: str) -> list[int]:
        """Indices of ``candidates`` that are not the scored items in other words (report recorded)."""
        kept, dropped = exclude_overlaps(self.scored_texts, candidates, encoder=self.guard_encoder)
        self.exclusions.append(dropped.assign(source=source))
        return kept


@dataclass(frozen=True)
class ConstructScores:
    """Scores of items (rows) on constructs (columns).

    ``signed`` scores carry the keying direction (key = sign of the score on the item's construct).
    Items are assigned to the construct of highest ``relevance`` if given, else of highest score
    (of highest absolute score when signed).
    """

    scores: pd.DataFrame
    signed: bool
    relevance: pd.DataFrame | None = None


class Method:
    """A way of predicting item relations and item → construct assignment from text."""

    name: str = ""
    description: str = ""

    def item_correlations(self, texts: list[str], ctx: MethodContext) -> np.ndarray | None:
        """Predicted item × item correlations, or None if the method does not predict them."""
        return None

    def construct_scores(self, texts: list[str], taxonomy: Taxonomy, level: str,
                         ctx: MethodContext) -> ConstructScores | None:
        """Item × construct scores at ``level`` ("factor" or "facet"), or None if unsupported."""
        return None


_REGISTRY: dict[str, type[Method]] = {}


def register_method(cls: type[Method]) -> type[Method]:
    """Class decorator: make a :class:`Method` available to the harness under ``cls.name``."""
    if not cls.name:
        raise ValueError(f"{cls.__name__} has no name")
    _REGISTRY[cls.name] = cls
    return cls


def available_methods() -> list[str]:
    """Names of the registered methods."""
    return sorted(_REGISTRY)


def get_method(name: str) -> Method:
    """Instantiate the method registered as ``name``."""
    if name not in _REGISTRY:
        raise InputError(f"unknown method {name!r}; available: {', '.join(available_methods())}")
    return _REGISTRY[name]()


@register_method
class CosineMethod(Method):
    """Raw cosine: item r predicted by the cosine of the two items; items go to the most similar construct label.

    This is the off-the-shelf baseline of Hommel & Arslan (2025) and Wulff & Mata
    (2025): no training, no keys, no exemplars.
    """

    name = "cosine"
    description = "item r = cosine of item embeddings; assignment = most similar construct label"

    def item_correlations(self, texts: list[str], ctx: MethodContext) -> np.ndarray:
        """Cosine similarity matrix of the items (:func:`traitlens.engine.item_correlations`)."""
        return item_correlations(texts, ctx.encoder, "cosine")[0]

    def construct_scores(self, texts: list[str], taxonomy: Taxonomy, level: str,
                         ctx: MethodContext) -> ConstructScores:
        """Cosine of each item with each construct's label (or name)."""
        return ConstructScores(label_similarity(texts, taxonomy, level, ctx.encoder), signed=False)


@register_method
class KeywordsMethod(Method):
    """The seed analysis: mean cosine with the ``bigfive-keywords`` keywords of each factor.

    Item correlations are predicted by the Pearson correlation of two items'
    15-keyword similarity profiles. Facets are not supported (the keyword set has none).
    """

    name = "keywords"
    description = "factor score = mean cosine with the bigfive-keywords keywords; item r = r of keyword profiles"
    taxonomy = "bigfive-keywords"

    def item_correlations(self, texts: list[str], ctx: MethodContext) -> np.ndarray:
        """Pearson r between the items' keyword-similarity profiles."""
        return np.corrcoef(keyword_similarity(texts, load_taxonomy(self.taxonomy), ctx.encoder).similarity)

    def construct_scores(self, texts: list[str], taxonomy: Taxonomy, level: str,
                         ctx: MethodContext) -> ConstructScores | None:
        """Mean keyword similarity per Big Five factor, columns named as in ``taxonomy``."""
        if level != "factor":
            return None
        run = keyword_similarity(texts, load_taxonomy(self.taxonomy), ctx.encoder)
        domains = run.keywords["factor"].map(canonical_factor).to_numpy()
        by_factor = pd.DataFrame(run.similarity).T.groupby(domains).mean().T
        columns = {canonical_factor(f.name): f.name for f in taxonomy.factors}
        missing = [c for c in columns if c not in by_factor.columns]
        if missing:
            raise InputError(f"keywords method cannot score {missing}: no such factor in {self.taxonomy}")
        return ConstructScores(by_factor[list(columns)].set_axis(list(columns.values()), axis=1), signed=False)


@register_method
class ProfileMethod(Method):
    """Bipolar prototypes from exemplars of other inventories (see :mod:`traitlens.analysis.profiles`).

    Exemplars: the ``bigfive-facets`` pole descriptors, the items of every built-in inventory except the
    scored one and its family (leave-one-inventory-out), and the Wulff & Mata IPIP scales from the data
    folder; all pass the leakage guard. Scores come from :func:`traitlens.engine.bipolar`, the function
    behind :func:`traitlens.profile`. Item correlations are the cosine of the items' contrast vectors
    over the 5 domains and 30 facets (:func:`~traitlens.analysis.profiles.contrast_correlations`).
    """

    name = "profile"
    description = "bipolar exemplar prototypes in centred space; key = sign of the contrast"

    def __init__(self) -> None:
        self._pools: dict[int, pd.DataFrame] = {}

    def _pool(self, ctx: MethodContext) -> pd.DataFrame:
        """The exemplar pool of this evaluation: other inventories only, through the leakage guard."""
        if id(ctx) not in self._pools:
            pool = exemplar_pool(exclude_inventory=ctx.inventory, data_dir=ctx.data_dir)
            self._pools[id(ctx)] = pool.iloc[ctx.usable_exemplars(pool["text"].tolist(), source="exemplar pool")]
        return self._pools[id(ctx)]

    def construct_scores(self, texts: list[str], taxonomy: Taxonomy, level: str,
                         ctx: MethodContext) -> ConstructScores:
        """Signed contrasts; assignment by relevance."""
        result = bipolar(texts, taxonomy, level, ctx.encoder, self._pool(ctx)).profile
        names = list(result.constructs)
        return ConstructScores(pd.DataFrame(result.contrast, columns=names), signed=True,
                               relevance=pd.DataFrame(result.relevance, columns=names))

    def item_correlations(self, texts: list[str], ctx: MethodContext) -> np.ndarray:
        """Cosine of the items' contrasts over 5 domains and 30 facets (:func:`~traitlens.engine.item_correlations`)."""
        return item_correlations(texts, ctx.encoder, "profile", pool=self._pool(ctx))[0]


@register_method
class HeadMethod(ProfileMethod):
    """A learned correlation head over the profile features, trained on the fly WITHOUT the scored data.

    For honest figures the head used on a suite is never the shipped one (which saw every dataset): it is
    trained here, with the shipped configuration (:class:`traitlens.training.fit.HeadConfig`), on the
    item pairs of the shared response data minus every item the leakage guard matches to a scored item,
    and minus every dataset of which half or more of the items were matched (the scored questionnaire):
    :func:`traitlens.training.fit.leave_out_pairs`. Its features use the same exemplar pool as
    ``profile`` (other inventories only, through the guard). Predictions come from
    :func:`traitlens.engine.item_correlations` with ``method="head"``, as in :func:`traitlens.correlate`.
    Assignment is ``profile``'s (the head predicts correlations only).
    """

    name = "head"
    description = "learned head over bipolar profile features; trained leaving the scored data set out"

    def __init__(self) -> None:
        super().__init__()
        self.trained: dict[int, object] = {}

    def item_correlations(self, texts: list[str], ctx: MethodContext) -> np.ndarray:
        """Correlations from a head trained without the scored items (:func:`~traitlens.engine.item_correlations`)."""
        from traitlens.datasets import default_data_dir
        from traitlens.training.fit import fit_head, leave_out_pairs

        pool = self._pool(ctx)
        pairs = leave_out_pairs(ctx.data_dir or default_data_dir(), ctx.scored_texts, ctx.guard_encoder)
        head = fit_head(pairs, ctx.encoder, pool)
        self.trained[id(ctx)] = head
        return item_correlations(texts, ctx.encoder, "head", pool=pool, head=head)[0]


#: Where the harness looks for leave-one-dataset-out adapters (folders written by ``traitlens finetune
#: --lora-rank``, e.g. by ``benchmarks/adapter_sweep.py`` and ``benchmarks/finetune_adapter.py``):
#: ``$TRAITLENS_ADAPTER_DIR`` (one folder, or several joined by ``os.pathsep``), else
#: :data:`DEFAULT_ADAPTER_DIRS` below the checkout's ``.models``. Each folder is one member of the
#: ensemble the harness scores (:class:`TunedMethod`): it holds that member's fold adapters.
ADAPTER_DIR_ENV = "TRAITLENS_ADAPTER_DIR"
#: The folds of the shipped predictors: the three seeds of all-MiniLM-L6-v2's ensemble
#: (``benchmarks/adapter_sweep.py``) and its distilled fourth member (``benchmarks/distill_adapter.py``),
#: and the three seeds of all-mpnet-base-v2's (``finetune_adapter.py --tag mpnet``, ``--tag mpnet-s1
#: --seed 1``, ``--tag mpnet-s2 --seed 2``); a folder without a fold for the scored suite adds no member
#: there (the distilled member's facet fold is ``--suite neo300-facets``, taught without the IPIP-NEO-300 items).
DEFAULT_ADAPTER_DIRS = ("adapter-sweep/r16-lr3e-4-b64", "adapter-sweep/r16-lr3e-4-b64-s1",
                        "adapter-sweep/r16-lr3e-4-b64-s2", "adapter-distill", "finetune-adapter-mpnet",
                        "finetune-adapter-mpnet-s1", "finetune-adapter-mpnet-s2")


def adapter_search_dirs() -> list[Path]:
    """The folders searched for leave-one-dataset-out adapters (see :data:`ADAPTER_DIR_ENV`)."""
    import os

    env = os.environ.get(ADAPTER_DIR_ENV, "").strip()
    if env:
        return [Path(part).expanduser() for part in env.split(os.pathsep) if part.strip()]
    models = Path(__file__).resolve().parents[3] / ".models"
    return [models / d for d in DEFAULT_ADAPTER_DIRS]


def unseen_adapters(scored_texts: Sequence[str], guard_encoder: Encoder | None,
                    base_fingerprint: str | None = None) -> tuple[list[Path], list[str]]:
    """One adapter per search folder (:func:`adapter_search_dirs`) that never saw the scored items.

    The members of the ensemble the harness scores for ``tuned``: each folder's :func:`unseen_adapter`
    (trained on the base model with ``base_fingerprint``), in folder order; folders without one add
    nothing. Returns the adapter folders and the notes of the rejected candidates.
    """
    found: list[Path] = []
    notes: list[str] = []
    for root in adapter_search_dirs():
        folder, why = unseen_adapter(scored_texts, guard_encoder, root, base_fingerprint=base_fingerprint)
        notes.extend(why)
        if folder is not None:
            found.append(folder)
    return found, notes


def unseen_adapter(scored_texts: Sequence[str], guard_encoder: Encoder | None,
                   folder: Path | Sequence[Path] | None = None,
                   base_fingerprint: str | None = None) -> tuple[Path | None, list[str]]:
    """An adapter folder whose training items include none of the scored items (nor rewordings of them).

    Every folder below ``folder`` (default :func:`adapter_search_dirs`) with ``adapter.npz`` and the
    ``split.csv`` that ``traitlens finetune`` writes (its training and held-out items) — and, with
    ``base_fingerprint``, trained on that base model — is checked with the leakage guard
    (:func:`~traitlens.evaluation.leakage.exclude_overlaps`); the first with no overlap, the largest
    training set first, is returned. The shipped adapter saw every shared dataset, so it never qualifies.

    Returns
    -------
    folder : Path or None
    notes : list of str
        Why each candidate was rejected.
    """
    from traitlens.encoders.adapted import ADAPTER_FILE, adapter_base_fingerprint

    roots = adapter_search_dirs() if folder is None else [folder] if isinstance(folder, Path) else list(folder)
    notes: list[str] = []
    candidates = []
    for sub in [s for root in roots if root.is_dir() for s in sorted(root.glob("*"))]:
        split = sub / "split.csv"
        if not (sub / ADAPTER_FILE).is_file() or not split.is_file():
            continue
        if base_fingerprint is not None and adapter_base_fingerprint(sub / ADAPTER_FILE) != base_fingerprint:
            continue
        rows = pd.read_csv(split)
        seen = rows.loc[rows["split"].isin(["train", "heldout"]), "text"].astype(str).tolist()
        candidates.append((len(seen), sub, seen))
    for _, sub, seen in sorted(candidates, key=lambda c: (-c[0], str(c[1]))):
        _, dropped = exclude_overlaps(scored_texts, seen, encoder=guard_encoder)
        if len(dropped) == 0:
            return sub, notes
        notes.append(f"{sub.name}: trained on {len(dropped)} scored item(s) or rewordings")
    return None, notes


@register_method
class TunedMethod(ProfileMethod):
    """The model with LoRA adapters fine-tuned on observed item correlations, trained WITHOUT the scored items.

    The shipped adapters (``traitlens/encoders/adapters``) saw every shared dataset, so the harness never
    uses them: for each suite it takes, from each search folder (:func:`adapter_search_dirs`: one folder
    per member of the shipped ensemble), a leave-one-dataset-out adapter whose training items (its
    ``split.csv``) pass the leakage guard against every scored item (:func:`unseen_adapters`), and
    refuses the suite (``InputError``) when there is none. Where the shipped ``tuned`` predictor runs a
    head over the adapted model, a head is fitted here on each adapted model, without the scored data
    (as :class:`HeadMethod` does). Predictions come from :func:`traitlens.engine.item_correlations`
    with ``method="tuned"`` (as in :func:`traitlens.correlate`: the mean over the members), with
    ``profile``'s exemplar pool; assignment is ``profile``'s on the base model.
    """

    name = "tuned"
    description = "LoRA-adapted model(s) (trained leaving the scored data set out), then a head; members averaged"

    def __init__(self) -> None:
        super().__init__()
        self.adapters: dict[int, list[Path]] = {}

    def item_correlations(self, texts: list[str], ctx: MethodContext) -> np.ndarray:
        """Correlations from the adapted models of adapters that never saw the scored items."""
        folders, notes = unseen_adapters(ctx.scored_texts, ctx.guard_encoder,
                                         base_fingerprint=str(getattr(ctx.encoder, "fingerprint", "")) or None)
        if not folders:
            where = ", ".join(str(d) for d in adapter_search_dirs())
            raise InputError(f"method 'tuned' cannot be scored honestly on these items: no adapter for "
                             f"{ctx.encoder.name} in {where} was trained without them "
                             f"({'; '.join(notes) or 'none found'}); "
                             f"train them leaving this data set out (benchmarks/adapter_sweep.py for the "
                             f"all-MiniLM-L6-v2 ensemble's seeds, benchmarks/finetune_adapter.py --train lodo-SUITE "
                             f"for one adapter) or set ${ADAPTER_DIR_ENV}")
        self.adapters[id(ctx)] = folders
        from traitlens.encoders.adapted import adapted_encoder_for

        pool = self._pool(ctx)
        heads = None
        if _shipped_tuned_uses_head(ctx.encoder):  # score what correlate(method="tuned") does: adapters + heads
            from traitlens.datasets import default_data_dir
            from traitlens.training.fit import fit_head, leave_out_pairs

            pairs = leave_out_pairs(ctx.data_dir or default_data_dir(), ctx.scored_texts, ctx.guard_encoder)
            heads = [fit_head(pairs, adapted_encoder_for(ctx.encoder, folder), pool) for folder in folders]
        return item_correlations(texts, ctx.encoder, "tuned", pool=pool, head=heads, adapter=folders)[0]


def _shipped_tuned_uses_head(encoder: Encoder) -> bool:
    """Whether ``method="tuned"`` on ``encoder`` runs a head: one is shipped for its shipped adapted model."""
    from traitlens.encoders.adapted import adapted_encoder_for
    from traitlens.training.head import has_head

    try:
        return has_head(adapted_encoder_for(encoder))
    except InputError:
        return False

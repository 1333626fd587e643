"""Fine-tuning a sentence-transformer on observed item correlations (``traitlens finetune``).

:mod:`.data` reads and checks item pairs (a pairs file, or responses plus an item file) and splits
them by item; :mod:`.negations` generates polarity pairs; :mod:`.trainer` runs the
sentence-transformers trainer with early stopping on the held-out items and writes the model folder;
:mod:`.card` writes its model card. The trainer needs the ``train`` extra (``datasets``,
``accelerate``); everything else here does not.

Example
-------
>>> from traitlens.finetuning import FinetuneSettings, finetune, read_pairs  # doctest: +SKIP
>>> result = finetune(read_pairs("pairs.csv"), ".models/mine", settings=FinetuneSettings(max_steps=9))  # doctest: +SKIP
>>> traitlens.correlate(["I panic easily.", "I stay calm."], model=result.path)  # doctest: +SKIP
"""

from __future__ import annotations

from traitlens.finetuning.data import (
    ItemSplit,
    PairWarning,
    check_pairs,
    exclude_items,
    merge_duplicate_pairs,
    pairs_from_responses,
    read_pairs,
    split_items,
)
from traitlens.finetuning.negations import NEGATION_R, negate, negation_pairs
from traitlens.finetuning.trainer import (
    TRAIN_EXTRA,
    FinetuneResult,
    FinetuneSettings,
    check_training_extra,
    finetune,
    heldout_figures,
)

__all__ = [
    "NEGATION_R",
    "TRAIN_EXTRA",
    "FinetuneResult",
    "FinetuneSettings",
    "ItemSplit",
    "PairWarning",
    "check_pairs",
    "check_training_extra",
    "exclude_items",
    "finetune",
    "heldout_figures",
    "merge_duplicate_pairs",
    "negate",
    "negation_pairs",
    "pairs_from_responses",
    "read_pairs",
    "split_items",
]

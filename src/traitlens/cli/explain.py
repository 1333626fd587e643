"""``traitlens explain``: which words make a score (similarity, profile, assignment, correlation)."""

from __future__ import annotations

import json
import sys

import pandas as pd

from traitlens.cli import shell
from traitlens.cli.options import (
    ConstructLevel,
    EncoderSettings,
    ExemplarDataDirOpt,
    ExemplarsOpt,
    ExemplarSource,
    ExplainFormat,
    ExplainFormatOpt,
    ExplainLayerOpt,
    ExplainMethod,
    ExplainMethodOpt,
    ExplainOutOpt,
    ExplainPredictorOpt,
    ExplainScore,
    ExplainScoreOpt,
    ExplainStepsOpt,
    ExplainTargetOpt,
    ExplainTaxonomyOpt,
    ExplainTextArg,
    LevelOpt,
    ModelOpt,
    with_groups,
)
from traitlens.cli.shell import print_table, reporting, stderr
from traitlens.errors import InputError


def _escaped(frame: pd.DataFrame) -> pd.DataFrame:
    """Text columns with rich markup escaped (``[ref]`` would otherwise read as a style tag)."""
    from rich.markup import escape

    out = frame.reset_index(drop=True).copy()
    for col in out.columns:
        if not pd.api.types.is_numeric_dtype(out[col]):
            out[col] = [escape(str(v)) for v in out[col]]
    return out


#: Pairs printed in the table view (strongest first).
TABLE_PAIRS = 15


@with_groups
def explain_cmd(
    text: ExplainTextArg,
    *,
    target: ExplainTargetOpt = None,
    method: ExplainMethodOpt = ExplainMethod.occlusion,
    score: ExplainScoreOpt = ExplainScore.similarity,
    layer: ExplainLayerOpt = None,
    steps: ExplainStepsOpt = None,
    predictor: ExplainPredictorOpt = "profile",
    taxonomy: ExplainTaxonomyOpt = None,
    level: LevelOpt = ConstructLevel.factor,
    exemplars: ExemplarsOpt = ExemplarSource.builtin,
    data_dir: ExemplarDataDirOpt = None,
    model: ModelOpt = None,
    fmt: ExplainFormatOpt = None,
    out: ExplainOutOpt = None,
    settings: EncoderSettings,
) -> None:
    """Explain one score of TEXT down to its words (and word pairs with --method pairs)."""
    from traitlens.explain import REFERENCE, explain
    from traitlens.explain.views import SUFFIXES
    from traitlens.io.tables import check_writable
    from traitlens.provenance import provenance_line

    with reporting():
        if target is None and score is not ExplainScore.assignment:
            raise InputError("--target is required (a text, or a construct with --score profile)")
        if out is not None:  # before the model loads
            if out.suffix.lower() not in SUFFIXES:
                raise InputError(f"explanation file must end in {', '.join(SUFFIXES)}", path=out)
            check_writable(out)
        derived = score is not ExplainScore.similarity
        result = explain(
            text, target, method.value, score=score.value, layer=layer, steps=steps,
            model=shell.load_model(model, settings),
            **({"taxonomy": taxonomy, "level": level.value, "exemplars": exemplars.value, "data_dir": data_dir}
               if derived else {}),
            **({"predictor": predictor} if score is ExplainScore.correlation else {}),
        )
        if out is not None:
            path = result.save(out)
            stderr(f"wrote {path} · {result.summary()}")
        if out is None or fmt is not None:
            if (fmt or ExplainFormat.table) is ExplainFormat.json:
                sys.stdout.write(json.dumps(result.to_dict(), indent=2, ensure_ascii=False, default=str) + "\n")
            else:
                stderr(result.summary())
                print_table(_escaped(result.tokens[["side", "token", "attribution"]]))
                if result.pairs is not None:
                    # Word × word pairs are the explanation; the [ref] row and column (the reference's
                    # share) are summed on one line so that the largest entry shown is a real pair.
                    pairs = result.pairs
                    is_ref = (pairs["token_a"] == REFERENCE) | (pairs["token_b"] == REFERENCE)
                    words = pairs[~is_ref]
                    strongest = words.reindex(words["attribution"].abs()
                                              .sort_values(ascending=False).index)[:TABLE_PAIRS]
                    print_table(_escaped(strongest[["token_a", "token_b", "attribution"]]),
                                title=f"strongest {min(TABLE_PAIRS, len(strongest))} word pairs")
                    if is_ref.any():
                        stderr(f"word pairs sum to {words['attribution'].sum():+.4f}; the {REFERENCE} row and "
                               f"column (the reference's share) to {pairs.loc[is_ref, 'attribution'].sum():+.4f}")
        for note in result.notes:
            stderr(f"note: {note}")
        stderr(provenance_line(result.provenance))

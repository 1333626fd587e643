"""Views of an :class:`~traitlens.explain.explanation.Explanation`.

Highlighted tokens, a pair heatmap, a bipartite token graph — as Plotly figures (HTML or PNG) and as
one HTML page.

Colours diverge around zero: red where a word raises the score, blue where it lowers it, the
intensity scaled by the largest absolute attribution shown.
"""

from __future__ import annotations

import html
import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from traitlens.errors import InputError
from traitlens.explain.explanation import REFERENCE, Explanation
from traitlens.io.tables import atomic_write, check_writable
from traitlens.plot import save_figure
from traitlens.provenance import provenance_line

if TYPE_CHECKING:
    import plotly.graph_objects as go

#: Diverging scale: blue (lowers the score) — white — red (raises it).
COLORSCALE = [[0.0, "#2166ac"], [0.25, "#92c5de"], [0.5, "#f7f7f7"], [0.75, "#f4a582"], [1.0, "#b2182b"]]
SUFFIXES = (".html", ".png", ".svg", ".json")


def _rgba(value: float, scale: float) -> str:
    """Background colour of one attribution (red positive, blue negative, alpha ∝ |value| / scale)."""
    alpha = 0.0 if scale <= 0 or not math.isfinite(value) else min(abs(value) / scale, 1.0) * 0.85
    rgb = (178, 24, 43) if value >= 0 else (33, 102, 172)
    return f"rgba({rgb[0]},{rgb[1]},{rgb[2]},{alpha:.3f})"


def highlight_html(text: str, tokens: pd.DataFrame, scale: float | None = None) -> str:
    """The text as HTML with each word's background coloured by its attribution (title: the value)."""
    values = tokens["attribution"].to_numpy(dtype=float)
    scale = float(np.nanmax(np.abs(values))) if scale is None and len(values) else (scale or 0.0)
    out, cursor = [], 0
    for row in tokens.sort_values("start").itertuples(index=False):
        out.append(html.escape(text[cursor:row.start]))
        out.append(f'<span class="tl-token" style="background:{_rgba(row.attribution, scale)};padding:1px 2px;'
                   f'border-radius:3px" title="{row.attribution:+.4f}" data-attribution="{row.attribution:.6g}">'
                   f"{html.escape(text[row.start:row.end])}</span>")
        cursor = row.end
    out.append(html.escape(text[cursor:]))
    return "".join(out)


def _footer(fig: go.Figure, provenance: dict[str, Any]) -> go.Figure:
    fig.update_layout(meta={"provenance": provenance}, margin={"b": 80})
    fig.add_annotation(text=provenance_line(provenance) if provenance else "traitlens", xref="paper", yref="paper",
                       x=0, y=0, yshift=-60, yanchor="top", xanchor="left", showarrow=False,
                       font={"size": 10, "color": "#666"})
    return fig


def token_figure(explanation: Explanation) -> go.Figure:
    """Tokens highlighted in diverging colours, one row per side (the static twin of the HTML highlight)."""
    import plotly.graph_objects as go

    sides = [s for s in ("text", "target") if (explanation.tokens["side"] == s).any()]
    scale = float(np.abs(explanation.tokens["attribution"]).max()) or 1.0
    width = max(len(explanation.side(s)) for s in sides)
    z = np.full((len(sides), width), np.nan)
    labels = np.full((len(sides), width), "", dtype=object)
    for r, side in enumerate(sides):
        frame = explanation.side(side)
        z[r, : len(frame)] = frame["attribution"]
        labels[r, : len(frame)] = [f"{t}<br>{a:+.3f}" for t, a in zip(frame["token"], frame["attribution"],
                                                                      strict=True)]
    fig = go.Figure(go.Heatmap(z=z, text=labels, texttemplate="%{text}", colorscale=COLORSCALE, zmin=-scale,
                               zmax=scale, zmid=0, y=sides, hovertemplate="%{text}<extra></extra>",
                               colorbar={"title": "attribution"}))
    fig.update_layout(title=(f"{explanation.kind} {explanation.score:.3f} ({explanation.method}, residual "
                             f"{explanation.residual:+.2g}): red raises, blue lowers the score"),
                      yaxis={"autorange": "reversed"},
                      xaxis={"showticklabels": False}, height=180 + 90 * len(sides), width=max(600, 110 * width))
    return _footer(fig, explanation.provenance)


def pair_heatmap(explanation: Explanation, reference: bool = True) -> go.Figure:
    """Text words (rows) × target words, exemplars or constructs (columns) of the pair method."""
    import plotly.graph_objects as go

    matrix = explanation.pair_matrix(reference=reference)
    if matrix.shape[1] > 40:  # many exemplars: keep the columns that matter most
        keep = np.argsort(-np.abs(matrix.to_numpy()).sum(axis=0), kind="stable")[:40]
        matrix = matrix.iloc[:, np.sort(keep)]
    scale = float(np.abs(matrix.to_numpy()).max()) or 1.0
    cols = [str(c)[:30] for c in matrix.columns]
    fig = go.Figure(go.Heatmap(z=matrix.to_numpy(), x=cols, y=[str(i) for i in matrix.index],
                               colorscale=COLORSCALE, zmin=-scale, zmax=scale, zmid=0,
                               text=np.round(matrix.to_numpy(), 3), texttemplate="%{text}",
                               colorbar={"title": "attribution"}))
    cells = explanation.score - explanation.residual
    fig.update_layout(title=(f"pairs: score {explanation.score:.3f} = Σ cells {cells:.3f}"
                             f" + residual {explanation.residual:+.2g}"),
                      yaxis={"autorange": "reversed", "title": "text"}, xaxis={"title": "target", "side": "top"},
                      height=max(350, 40 * len(matrix) + 200), width=max(500, 70 * len(cols) + 250))
    return _footer(fig, explanation.provenance)


def token_graph(explanation: Explanation, top: int = 12, reference: bool = False) -> go.Figure:
    """Bipartite graph: text words left, target words right, the ``top`` strongest pair edges (width ∝ |value|)."""
    import plotly.graph_objects as go

    if explanation.pairs is None:
        raise InputError(f"method {explanation.method!r} gives no pairs to draw; use method='pairs'")
    pairs = explanation.pairs
    if not reference:
        pairs = pairs[(pairs["token_a"] != REFERENCE) & (pairs["token_b"] != REFERENCE)]
    edges = pairs.reindex(pairs["attribution"].abs().sort_values(ascending=False).index)[:top]
    left = pairs.drop_duplicates("position_a").sort_values("position_a")
    right = pairs.drop_duplicates("position_b").sort_values("position_b")

    def y_of(n: int) -> np.ndarray:
        return np.linspace(1, 0, n) if n > 1 else np.array([0.5])

    ya = dict(zip(left["position_a"], y_of(len(left)), strict=True))
    yb = dict(zip(right["position_b"], y_of(len(right)), strict=True))
    scale = float(edges["attribution"].abs().max()) if len(edges) else 1.0
    fig = go.Figure()
    for row in edges.itertuples(index=False):
        fig.add_trace(go.Scatter(x=[0, 1], y=[ya[row.position_a], yb[row.position_b]], mode="lines",
                                 line={"width": 1 + 9 * abs(row.attribution) / (scale or 1),
                                       "color": "#b2182b" if row.attribution >= 0 else "#2166ac"},
                                 opacity=0.75, hoverinfo="text", showlegend=False,
                                 text=f"{row.token_a} — {row.token_b}: {row.attribution:+.4f}"))
    fig.add_trace(go.Scatter(x=[0] * len(left), y=[ya[p] for p in left["position_a"]], mode="markers+text",
                             text=[str(t) for t in left["token_a"]], textposition="middle left",
                             marker={"size": 10, "color": "#444"}, showlegend=False, hoverinfo="text"))
    fig.add_trace(go.Scatter(x=[1] * len(right), y=[yb[p] for p in right["position_b"]], mode="markers+text",
                             text=[str(t)[:40] for t in right["token_b"]], textposition="middle right",
                             marker={"size": 10, "color": "#444"}, showlegend=False, hoverinfo="text"))
    fig.update_layout(title=f"strongest {len(edges)} token pairs (red raises, blue lowers the score)",
                      xaxis={"visible": False, "range": [-0.6, 1.6]}, yaxis={"visible": False},
                      height=max(350, 30 * max(len(left), len(right)) + 150), width=800)
    return _footer(fig, explanation.provenance)


def explanation_figures(explanation: Explanation) -> dict[str, go.Figure]:
    """``tokens`` always; ``pairs`` (heatmap) and ``graph`` for the pair method."""
    figures = {"tokens": token_figure(explanation)}
    if explanation.pairs is not None:
        figures["pairs"] = pair_heatmap(explanation)
        figures["graph"] = token_graph(explanation)
    return figures


def explanation_html(explanation: Explanation, include_plotlyjs: bool | str = True, full_page: bool = True) -> str:
    """One HTML page (or fragment, for Jupyter): summary, highlighted words, figures, notes, provenance."""
    e = explanation
    scale = float(np.abs(e.tokens["attribution"]).max()) if len(e.tokens) else 0.0
    rows = [f"<h2>{html.escape(e.kind)}: {html.escape(e.text)} ↔ {html.escape(e.target)}</h2>",
            "<table class='tl-summary'>",
            f"<tr><th>score</th><td>{e.score:.4f}</td></tr>",
            f"<tr><th>method</th><td>{html.escape(e.method)}</td></tr>",
            f"<tr><th>residual</th><td>{e.residual:+.3g} ({e.relative_residual:.2g} of |score|)</td></tr>"]
    if e.baseline is not None:
        rows.append(f"<tr><th>baseline score</th><td>{e.baseline:.4f}</td></tr>")
    share = e.provenance.get("explanation", {}).get("reference_share")
    if share is not None:
        rows.append(f"<tr><th>reference share</th><td>{share:+.4f} (the [ref] row and column: what the "
                    "padding reference itself contributes)</td></tr>")
    rows.append("</table>")
    rows.append(f"<p class='tl-text'><b>text</b>: {highlight_html(e.text, e.side('text'), scale)}</p>")
    if (e.tokens["side"] == "target").any():
        rows.append(f"<p class='tl-target'><b>target</b>: {highlight_html(e.target, e.side('target'), scale)}</p>")
    for note in e.notes:
        rows.append(f"<p class='tl-note'><b>note</b>: {html.escape(note)}</p>")
    first = True
    for fig in explanation_figures(e).values():
        rows.append(fig.to_html(full_html=False, include_plotlyjs=include_plotlyjs if first else False))
        first = False
    rows.append("<details><summary>provenance</summary><pre class='tl-provenance'>"
                f"{html.escape(json.dumps(e.provenance, indent=2, default=str))}</pre></details>")
    body = "\n".join(rows)
    if not full_page:
        return f"<div class='traitlens-explanation'>{body}</div>"
    return ("<!DOCTYPE html><html><head><meta charset='utf-8'><title>traitlens explanation</title>"
            "<style>body{font-family:sans-serif;max-width:1000px;margin:2em auto}"
            ".tl-text,.tl-target{font-size:1.3em;line-height:1.8}th{text-align:left;padding-right:1em}</style>"
            f"</head><body>{body}</body></html>")


def save_explanation(explanation: Explanation, path: Path) -> Path:
    """Write the page (``.html``), the pair heatmap or token figure (``.png``/``.svg``) or the JSON record."""
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise InputError(f"explanation file must end in {', '.join(SUFFIXES)}", path=path)
    path = check_writable(path.expanduser())
    if suffix in (".html", ".json"):
        data = (explanation.to_html() if suffix == ".html" else
                json.dumps(explanation.to_dict(), indent=2, default=str))
        with atomic_write(path) as fh:
            fh.write(data.encode("utf-8"))
        return path
    fig = pair_heatmap(explanation) if explanation.pairs is not None else token_figure(explanation)
    return save_figure(fig, path)

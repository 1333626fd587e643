"""Figure builders: they return Plotly figures; callers show them, or save them with :func:`save_figure`.

Every figure carries its provenance (traitlens version, model, taxonomy) as a
footer and in ``layout.meta``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from traitlens.errors import InputError, TraitlensError
from traitlens.io.tables import atomic_write, check_writable
from traitlens.provenance import get_provenance, provenance_line

if TYPE_CHECKING:
    import plotly.graph_objects as go

FIGURE_SUFFIXES = (".html", ".png", ".svg")


def _wrap(text: str, width: int = 40) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def heatmap(frame: pd.DataFrame, by: str = "keyword", stat: str = "mean", title: str | None = None) -> go.Figure:
    """Heatmap of a similarity table: texts (rows) × keywords or factors (columns).

    Parameters
    ----------
    frame : DataFrame
        Output of :func:`traitlens.similarity` (long format).
    by : {"keyword", "factor", "facet"}
        Columns of the heatmap: single keywords (grouped by factor in taxonomy
        order) or constructs aggregated with ``stat``.
    stat : {"mean", "max", "min", "median"}
        Aggregation over the keywords of a construct when ``by`` is a construct level.
    title : str, optional

    Returns
    -------
    plotly.graph_objects.Figure
        Displayable in Jupyter; save with :func:`save_figure`.
    """
    import plotly.graph_objects as go

    from traitlens.analysis.similarity import aggregate_similarity

    required = {"sentence", "factor", "keyword", "similarity"}
    if not required <= set(frame.columns):
        raise InputError(f"heatmap needs a similarity table with columns {sorted(required)}")
    if by == "keyword":
        sentences = list(dict.fromkeys(frame["sentence"]))
        keys = frame.drop_duplicates(["factor", "keyword"])[["factor", "keyword"]]
        table = frame.drop_duplicates(["sentence", "factor", "keyword"]).pivot(
            index="sentence", columns=["factor", "keyword"], values="similarity"
        )
        table = table.reindex(index=sentences, columns=pd.MultiIndex.from_frame(keys))
        x = [f"{k}<br><sub>{f}</sub>" for f, k in table.columns]
        hover_cols = [f"{k} ({f})" for f, k in table.columns]
    elif by in {"factor", "facet"}:
        table = aggregate_similarity(frame, by=by, stats=stat, wide=True)
        x = list(table.columns)
        hover_cols = x
    else:
        raise InputError(f"by must be 'keyword', 'factor' or 'facet'; got {by!r}")
    provenance = get_provenance(frame)
    values = table.to_numpy(dtype=float)
    fig = go.Figure(
        go.Heatmap(
            z=values,
            x=x,
            y=[_wrap(s) for s in table.index],
            customdata=[[[s, c] for c in hover_cols] for s in table.index],
            hovertemplate="%{customdata[0]}<br>%{customdata[1]}<br>cosine %{z:.3f}<extra></extra>",
            colorscale="Viridis",
            colorbar={"title": {"text": "cosine" if by == "keyword" else f"{stat} cosine"}},
            text=[[f"{v:.2f}" for v in row] for row in values],
            texttemplate="%{text}" if values.size <= 400 else None,
        )
    )
    footer = provenance_line(provenance) if provenance else "traitlens"
    fig.update_layout(
        title=title or f"Similarity of texts to {'keywords' if by == 'keyword' else by + 's'}",
        yaxis={"autorange": "reversed"},
        xaxis={"tickangle": -45 if by == "keyword" else 0},
        width=max(700, 90 + 70 * len(x)),
        height=max(400, 220 + 34 * len(table.index)),
        margin={"b": 160 if by == "keyword" else 110},
        meta={"provenance": provenance},
        annotations=[{"text": footer, "xref": "paper", "yref": "paper", "x": 0, "y": -0.02,
                      "yanchor": "top", "yshift": -90 if by == "keyword" else -40, "showarrow": False,
                      "font": {"size": 10, "color": "#666"}, "xanchor": "left"}],
    )
    return fig


def save_figure(fig: go.Figure, path: str | Path, **kwargs: Any) -> Path:
    """Save a figure as interactive HTML (plotly.js embedded, works offline) or static PNG / SVG.

    The file is written atomically. Static export uses Kaleido, which needs a
    Chrome or Chromium browser (e.g. Debian's ``chromium`` package).
    """
    path = check_writable(Path(path).expanduser())
    suffix = path.suffix.lower()
    if suffix not in FIGURE_SUFFIXES:
        raise InputError(f"plot file must end in {', '.join(FIGURE_SUFFIXES)}", path=path)
    if suffix == ".html":
        html = fig.to_html(include_plotlyjs=True, full_html=True, **kwargs)
        with atomic_write(path) as fh:
            fh.write(html.encode("utf-8"))
        return path
    try:
        data = fig.to_image(format=suffix[1:], **kwargs)
    except Exception as exc:  # noqa: BLE001 - kaleido raises many kinds when no browser is found
        raise TraitlensError(
            f"static export to {path} failed ({type(exc).__name__}: {exc}); PNG/SVG need Kaleido and a "
            "Chrome/Chromium browser (apt-get install chromium). HTML output needs neither."
        ) from exc
    with atomic_write(path) as fh:
        fh.write(data)
    return path

"""Figure builders: they return Plotly figures; callers show them, or save them with :func:`save_figure`.

Every figure carries its provenance (traitlens version, model, taxonomy) as a
footer and in ``layout.meta``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
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
    fig.update_layout(
        title=title or f"Similarity of texts to {'keywords' if by == 'keyword' else by + 's'}",
        yaxis={"autorange": "reversed"},
        xaxis={"tickangle": -45 if by == "keyword" else 0},
        width=max(700, 90 + 70 * len(x)),
        height=max(400, 220 + 34 * len(table.index)),
        margin={"b": 160 if by == "keyword" else 110},
    )
    return _footer(fig, provenance, shift=-110 if by == "keyword" else -60)


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


def _footer(fig: go.Figure, provenance: dict[str, Any], shift: int = -60) -> go.Figure:
    fig.update_layout(
        meta={"provenance": provenance},
        annotations=[*fig.layout.annotations, {
            "text": provenance_line(provenance) if provenance else "traitlens", "xref": "paper",
            "yref": "paper", "x": 0, "y": 0, "yshift": shift, "yanchor": "top", "xanchor": "left",
            "showarrow": False, "font": {"size": 10, "color": "#666"}}],
    )
    return fig


def predicted_vs_observed(pairs: pd.DataFrame, provenance: dict[str, Any] | None = None,
                          title: str | None = None, max_points: int = 20000) -> go.Figure:
    """Scatter of predicted vs observed correlations (item pairs or scale pairs) with the r in the title.

    Parameters
    ----------
    pairs : DataFrame
        Columns ``observed``, ``predicted`` and two id columns (``item_1``/``item_2`` or
        ``scale_1``/``scale_2``), as in :class:`~traitlens.evaluation.SuiteResult`.
    provenance : dict, optional
    title : str, optional
        Title; the r and the number of pairs are appended.
    max_points : int
        Larger inputs are subsampled (seed 0) for drawing; r uses every pair.
    """
    import plotly.graph_objects as go

    ids = [c for c in pairs.columns if c not in {"observed", "predicted"}][:2]
    data = pairs.dropna(subset=["observed", "predicted"])
    r = float(data["predicted"].corr(data["observed"])) if len(data) >= 3 else float("nan")
    shown = data.sample(max_points, random_state=0) if len(data) > max_points else data
    fig = go.Figure(go.Scattergl(
        x=shown["predicted"], y=shown["observed"], mode="markers",
        marker={"size": 5 if len(shown) < 2000 else 3, "opacity": 0.6},
        customdata=shown[ids].to_numpy(),
        hovertemplate="%{customdata[0]} × %{customdata[1]}<br>predicted %{x:.3f}<br>observed %{y:.3f}"
                      "<extra></extra>",
    ))
    fig.update_layout(title=f"{title or 'Predicted vs observed correlations'} (r = {r:.2f}, {len(data)} pairs)",
                      xaxis_title="predicted", yaxis_title="observed", width=700, height=620,
                      margin={"b": 110})
    return _footer(fig, provenance or {})


def confusion_heatmap(assignments: pd.DataFrame, level: str = "factor", provenance: dict[str, Any] | None = None,
                      title: str | None = None) -> go.Figure:
    """Heatmap of theoretical (rows) × assigned (columns) constructs; cells count items.

    Parameters
    ----------
    assignments : DataFrame
        Columns ``level``, ``true``, ``predicted`` (see :class:`~traitlens.evaluation.SuiteResult`).
    level : {"factor", "facet"}
    """
    import plotly.graph_objects as go

    data = assignments[(assignments["level"] == level) & assignments["true"].notna()]
    if data.empty:
        raise InputError(f"no {level}-level assignments to plot")
    labels = list(dict.fromkeys([*data["true"], *sorted(set(data["predicted"]) - set(data["true"]))]))
    table = pd.crosstab(data["true"], data["predicted"]).reindex(index=labels[: data["true"].nunique()],
                                                                  columns=labels, fill_value=0)
    accuracy = float((data["true"] == data["predicted"]).mean())
    fig = go.Figure(go.Heatmap(z=table.to_numpy(), x=list(table.columns), y=list(table.index), colorscale="Blues",
                               texttemplate="%{z}" if table.size <= 900 else None,
                               hovertemplate="theory %{y}<br>assigned %{x}<br>%{z} items<extra></extra>"))
    size = 300 + 22 * len(labels)
    fig.update_layout(title=title or f"{level.title()} assignment (accuracy {accuracy:.0%}, {len(data)} items)",
                      xaxis_title="assigned", yaxis_title="theory", yaxis={"autorange": "reversed"},
                      width=size + 150, height=size, margin={"b": 150})
    return _footer(fig, provenance or {}, shift=-120)


def profile_chart(frame: pd.DataFrame, kind: str = "bar", title: str | None = None) -> go.Figure:
    """Bipolar profile of each text: grouped bars (or a radar) of the headline score per construct.

    The tallest bar of a text (largest ``|score|``) is its :func:`traitlens.assign` construct; its
    sign is the direction.

    Parameters
    ----------
    frame : DataFrame
        Output of :func:`traitlens.profile` (``text, construct, score, ...``).
    kind : {"bar", "radar"}
        Bars show direction (below 0 = low pole); the radar shows the shape of a profile.
    title : str, optional
    """
    import plotly.graph_objects as go

    if not {"text", "construct", "score"} <= set(frame.columns):
        raise InputError("profile_chart needs a profile frame with columns text, construct, score")
    if kind not in {"bar", "radar"}:
        raise InputError(f"kind must be 'bar' or 'radar'; got {kind!r}")
    fig = go.Figure()
    constructs = list(dict.fromkeys(frame["construct"]))
    for text, rows in frame.groupby("text", sort=False):
        rows = rows.set_index("construct").reindex(constructs)
        if kind == "bar":
            fig.add_trace(go.Bar(x=constructs, y=rows["score"], name=_wrap(str(text)),
                                 hovertemplate="%{x}: %{y:.3f}<extra>" + _wrap(str(text), 60) + "</extra>"))
        else:
            fig.add_trace(go.Scatterpolar(r=[*rows["score"], rows["score"].iloc[0]],
                                          theta=[*constructs, constructs[0]], name=_wrap(str(text)),
                                          fill="toself", opacity=0.6))
    if kind == "bar":
        default_title = "Trait profile (bar length: how much the text speaks to a trait; > 0 high pole, < 0 low)"
        size = {"width": max(700, 120 * len(constructs)), "height": 560}
    else:  # a radar is round: square, growing with the number of spokes (30 facets: 950 × 950)
        default_title = "Trait profile (distance from the centre: the score; > 0 high pole, < 0 low)"
        side = max(700, 500 + 15 * len(constructs))
        size = {"width": side, "height": side}
    fig.update_layout(
        title=title or default_title,
        barmode="group", yaxis_title="score" if kind == "bar" else None, margin={"b": 150},
        legend={"orientation": "h", "y": -0.12 if kind == "bar" else -0.05, "yanchor": "top"}, **size,
    )
    return _footer(fig, get_provenance(frame), shift=-120)


def loading_heatmap(table: pd.DataFrame, title: str | None = None) -> go.Figure:
    """Heatmap of a semantic loading table (items × constructs, signed), diverging around 0.

    Parameters
    ----------
    table : DataFrame
        Output of :func:`traitlens.loadings` (index ``text``, one column per construct).
    """
    import plotly.graph_objects as go

    values = table.to_numpy(dtype=float)
    bound = float(np.nanmax(np.abs(values))) if values.size else 1.0
    fig = go.Figure(go.Heatmap(
        z=values, x=list(table.columns), y=[_wrap(str(i)) for i in table.index], zmid=0, zmin=-bound, zmax=bound,
        colorscale="RdBu", reversescale=True, colorbar={"title": {"text": "signed score"}},
        texttemplate="%{z:.2f}" if values.size <= 600 else None,
        hovertemplate="%{y}<br>%{x}: %{z:.3f}<extra></extra>",
    ))
    fig.update_layout(title=title or "Semantic loadings (red: high pole, blue: low pole)",
                      yaxis={"autorange": "reversed"}, width=max(700, 160 + 90 * len(table.columns)),
                      height=max(400, 200 + 26 * len(table.index)), margin={"b": 110})
    return _footer(fig, get_provenance(table))


#: Up to this many rows, :func:`correlation_heatmap` writes each cell's r into the cell.
ANNOTATED_CELLS_MAX_SIDE = 30
#: Up to this many rows, :func:`correlation_heatmap` labels the ticks (larger: hover only).
TICK_LABELS_MAX_SIDE = 80
#: Up to this many rows the cluster order is also made optimal for neighbours (about 1 s at 1,000 rows).
OPTIMAL_ORDER_MAX_SIDE = 1000


def cluster_order(matrix: np.ndarray) -> np.ndarray:
    """Order of the rows of a correlation matrix that puts strongly related rows next to each other.

    Average-linkage hierarchical clustering on the distance ``1 - |r|`` (so an item sits with the
    items it correlates with in either direction: a scale's reversed items join its block), with
    the leaves ordered optimally (scipy's ``optimal_leaf_ordering``) up to
    :data:`OPTIMAL_ORDER_MAX_SIDE` rows. Missing values count as ``r = 0``.

    Parameters
    ----------
    matrix : (n, n) array
        Symmetric correlations.

    Returns
    -------
    (n,) array of int
        A permutation of ``range(n)``.
    """
    from scipy.cluster import hierarchy
    from scipy.spatial.distance import squareform

    n = len(matrix)
    if n < 3:
        return np.arange(n)
    r = np.nan_to_num(np.asarray(matrix, dtype=float))
    distance = np.clip(1 - np.abs((r + r.T) / 2), 0, None)
    np.fill_diagonal(distance, 0)
    condensed = squareform(distance, checks=False)
    tree = hierarchy.linkage(condensed, method="average")
    if n <= OPTIMAL_ORDER_MAX_SIDE:
        tree = hierarchy.optimal_leaf_ordering(tree, condensed)
    return hierarchy.leaves_list(tree)


def correlation_heatmap(matrix: pd.DataFrame, texts: Mapping[str, str] | None = None, *, order: str = "cluster",
                        title: str | None = None, tick_texts: bool = False) -> go.Figure:
    """Heatmap of predicted correlations (items × items or scales × scales), diverging around 0.

    Red is positive, blue negative, white 0 (fixed range -1 to 1). Rows and columns are in cluster
    order (:func:`cluster_order`), so that groups of related items show as blocks. Hovering a cell
    shows both labels with their full texts and r. Cells carry their value as text only up to
    :data:`ANNOTATED_CELLS_MAX_SIDE` rows, and axes their tick labels up to
    :data:`TICK_LABELS_MAX_SIDE`, so that 1,000 items still make a light HTML file (the values go in
    as a float32 array).

    Parameters
    ----------
    matrix : DataFrame
        Square, labelled the same on both axes: :func:`traitlens.correlate`, or
        ``item_correlations`` / ``scale_correlations`` of :func:`traitlens.predict_scales`.
    texts : mapping of str to str, optional
        Label → full text (e.g. item id → item text), shown on hover.
    order : {"cluster", "given"}
    title : str, optional
        Default: what is shown, how many, and the predictor (``method`` of the provenance).
    tick_texts : bool
        Tick labels show ``label: text`` (shortened), e.g. a scale id with its construct label;
        default the label alone (item texts are long: they show on hover).

    Returns
    -------
    plotly.graph_objects.Figure
    """
    import plotly.graph_objects as go

    labels = [str(label) for label in matrix.columns]
    if matrix.shape[0] != matrix.shape[1] or [str(i) for i in matrix.index] != labels:
        raise InputError("correlation_heatmap needs a square matrix with the same labels on both axes")
    if order not in {"cluster", "given"}:
        raise InputError(f"order must be 'cluster' or 'given'; got {order!r}")
    values = matrix.to_numpy(dtype=float)
    permutation = cluster_order(values) if order == "cluster" else np.arange(len(labels))
    values = values[np.ix_(permutation, permutation)]
    texts = texts or {}
    ordered = [labels[i] for i in permutation]
    # Categories carry the full texts (hover); tick labels show them shortened. Labels are unique, so are these.
    names = [f"{label}: {texts[label]}" if texts.get(label, label) != label else label for label in ordered]
    n = len(names)
    ticks = n <= TICK_LABELS_MAX_SIDE
    axis = {"type": "category", "showticklabels": ticks, "tickvals": names if ticks else None,
            "ticktext": [_wrap(name if tick_texts else label, 30) for name, label in zip(names, ordered, strict=True)]
            if ticks else None, "showgrid": False}
    kind = (matrix.index.name or "item") + "s"
    fig = go.Figure(go.Heatmap(
        z=values.astype(np.float32), x=names, y=names, zmid=0, zmin=-1, zmax=1, colorscale="RdBu",
        reversescale=True, colorbar={"title": {"text": "predicted r"}},
        texttemplate="%{z:.2f}" if n <= ANNOTATED_CELLS_MAX_SIDE else None,
        hovertemplate="%{y}<br>× %{x}<br>r = %{z:.3f}<extra></extra>",
    ))
    side = min(900, max(360, 28 * n))  # the square plot area
    labels_px = 190 if ticks else 10
    fig.update_layout(
        title=title or f"Predicted correlations of {n} {kind} ({_method(matrix)}clustered; red +, blue −)",
        xaxis={**axis, "tickangle": -45, "constrain": "domain"},
        yaxis={**axis, "autorange": "reversed", "scaleanchor": "x", "constrain": "domain"},
        width=side + labels_px + 160, height=side + labels_px + 150,
        margin={"l": labels_px + 20, "b": labels_px + 50, "t": 80, "r": 40},
    )
    return _footer(fig, get_provenance(matrix), shift=-labels_px - 15)


def _method(matrix: pd.DataFrame) -> str:
    """``"method tuned; "`` from the provenance of a predicted matrix, or nothing."""
    method = get_provenance(matrix).get("method")
    return f"method {method}; " if isinstance(method, str) else ""


def _scale_matrix(pairs: pd.DataFrame, value: str) -> pd.DataFrame:
    """Scales × scales matrix of ``value`` from a table with one row per unordered pair (unit diagonal)."""
    missing = {"scale_a", "scale_b", value} - set(pairs.columns)
    if missing:
        raise InputError(f"the pairs table lacks columns {sorted(missing)}")
    scales = list(dict.fromkeys([*pairs["scale_a"], *pairs["scale_b"]]))
    where = {s: i for i, s in enumerate(scales)}
    matrix = np.eye(len(scales))
    a, b = pairs["scale_a"].map(where).to_numpy(), pairs["scale_b"].map(where).to_numpy()
    matrix[a, b] = matrix[b, a] = pairs[value].to_numpy(dtype=float)
    frame = pd.DataFrame(matrix, index=pd.Index(scales, name="scale"), columns=scales)
    frame.attrs = dict(pairs.attrs)
    return frame


def scale_heatmap(pairs: pd.DataFrame, value: str = "content_similarity", title: str | None = None) -> go.Figure:
    """Scale × scale heatmap of content (or label) similarity, ordered by cluster.

    Parameters
    ----------
    pairs : DataFrame
        Every scale pair: :func:`traitlens.jingle_jangle` with ``all_pairs=True``.
    value : {"content_similarity", "label_similarity"}
    title : str, optional

    Returns
    -------
    plotly.graph_objects.Figure
        Rows and columns in the hierarchical-cluster order of :func:`cluster_order`; hover shows
        both scales with their labels.
    """
    matrix = _scale_matrix(pairs, value)
    labels = dict(zip(pairs["scale_a"], pairs["label_a"], strict=False)) | dict(
        zip(pairs["scale_b"], pairs["label_b"], strict=False)) if "label_a" in pairs else {}
    texts = {s: label for s, label in labels.items() if label != s}
    name = value.replace("_", " ")
    fig = correlation_heatmap(matrix, texts, title=title or f"Scales: {name} (cluster order)", tick_texts=True)
    return fig.update_traces(colorbar={"title": {"text": name}},
                             hovertemplate="%{y}<br>× %{x}<br>" + name + " = %{z:.3f}<extra></extra>")


#: Up to this many scales, :func:`scale_map` writes each scale's name next to its point (readable as PNG/SVG).
MAP_NAMED_POINTS_MAX = 80


def scale_map(coordinates: pd.DataFrame, title: str | None = None) -> go.Figure:
    """2-D map of items or scales coloured by construct, with hover text.

    Parameters
    ----------
    coordinates : DataFrame
        ``name, x, y, group`` and optionally ``text`` (hover), e.g. from :func:`traitlens.scale_map`
        (whose ``attrs["provenance"]["map"]`` names the method and level).
    title : str, optional
        Default: what is mapped, how, and how many points and groups.

    Returns
    -------
    plotly.graph_objects.Figure
        One trace per group (legend entry, up to 60 groups); hovering a point shows its name, group
        and text; scale maps of up to :data:`MAP_NAMED_POINTS_MAX` scales also name each point.
        Provenance in ``layout.meta`` and the footer.
    """
    import plotly.graph_objects as go

    missing = {"name", "x", "y", "group"} - set(coordinates.columns)
    if missing:
        raise InputError(f"map coordinates lack columns {sorted(missing)}")
    provenance = get_provenance(coordinates)
    record = provenance.get("map", {})
    level = record.get("level", "item")
    named = level == "scale" and len(coordinates) <= MAP_NAMED_POINTS_MAX
    fig = go.Figure()
    for group, rows in coordinates.groupby("group", sort=True):
        hover = rows["text"] if "text" in rows else rows["name"]
        fig.add_trace(go.Scatter(
            x=rows["x"], y=rows["y"], mode="markers+text" if named else "markers", name=_wrap(str(group), 30),
            text=[_wrap(str(n), 20) for n in rows["name"]] if named else None, textposition="top center",
            textfont={"size": 9},
            hovertext=[f"<b>{n}</b> ({_wrap(str(group), 40)})<br>{_wrap(str(h), 80)}" if str(h) != str(group)
                       else f"<b>{n}</b><br>{_wrap(str(h), 80)}" for n, h in zip(rows["name"], hover, strict=True)],
            hoverinfo="text", marker={"size": 8 if level == "scale" else 6, "opacity": 0.8}))
    kind = {"scale": "scales (content embeddings, coloured by label)",
            "item": "items (coloured by scale)"}.get(level, "points")
    method = str(record.get("method", "")).upper()
    default = f"Map of {len(coordinates)} {kind}" + (f" · {method}" if method else "")
    fig.update_layout(title=title or default, xaxis_title="dimension 1", yaxis_title="dimension 2",
                      template="plotly_white", width=900, height=700, margin={"b": 110},
                      showlegend=coordinates["group"].nunique() <= 60)
    return _footer(fig, provenance)

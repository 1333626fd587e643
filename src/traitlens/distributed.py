"""Scoring on a Ray cluster with Ray Data (``pip install 'traitlens[ray]'``).

:func:`score_dataset` turns a :class:`ray.data.Dataset` with a text column into a dataset of result
rows: ``map_batches`` over a pool of actors (:class:`BatchScorer`), each of which loads the encoder once
and then scores batch after batch with the same API function the local engine calls (``profile``,
``assign`` or ``similarity``). The scores are therefore the local engine's, row for row.

:func:`run_file` is what ``traitlens profile|similarity --file IN --out OUT.parquet --engine ray
[--address ADDR] [--workers N]`` runs: Ray Data reads the input, the actors score it, and the driver
writes the rows, one Parquet row group per block, to a temporary file renamed onto ``OUT.parquet``
at the end, with provenance.

Where Ray runs: ``address=None`` starts (or joins) a Ray instance on this machine; ``"auto"`` joins
the cluster this machine is part of (``ray start --head`` / ``ray start --address ...``);
``"ray://HOST:10001"`` connects to a remote cluster's client server; ``"HOST:6379"`` to a head
node's GCS. An address that cannot be reached fails within seconds with a message saying so, instead
of Ray's minutes of retries.
"""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from traitlens.errors import InputError, TraitlensError

#: The API functions an actor can run, by name.
ANALYSES = ("profile", "assign", "similarity")
DEFAULT_BATCH_SIZE = 2_000
_CONNECT_TIMEOUT_S = 5.0


class ClusterUnavailableError(TraitlensError):
    """The Ray cluster named by ``--address`` cannot be reached, or Ray is not installed."""


def _ray() -> Any:
    try:
        import ray
    except ImportError as exc:
        raise ClusterUnavailableError("the ray engine needs Ray Data: pip install 'traitlens[ray]'") from exc
    return ray


def _host_port(address: str) -> tuple[str, int] | None:
    """``(host, port)`` of an explicit address (``ray://h:p``, ``h:p``), else None (``auto``, ``local``)."""
    rest = address.split("://", 1)[1] if "://" in address else address
    if ":" not in rest:
        return None
    host, _, port = rest.rpartition(":")
    try:
        return host.strip("[]"), int(port.split("/")[0])
    except ValueError:
        raise InputError(f"--address {address!r} is not HOST:PORT or ray://HOST:PORT") from None


def connect(address: str | None = None, *, num_cpus: int | None = None) -> Any:
    """Start or join Ray (once per process) and return the ``ray`` module.

    Parameters
    ----------
    address : str, optional
        ``None``: a local instance (started here if none runs); ``"auto"``: the cluster this machine
        belongs to; ``"ray://HOST:PORT"`` or ``"HOST:PORT"``: a remote cluster.
    num_cpus : int, optional
        CPUs of a local instance started here.

    Raises
    ------
    ClusterUnavailableError
        Ray is not installed, or the address does not answer within five seconds, or Ray refuses it.
    """
    ray = _ray()
    target = _host_port(address) if address not in (None, "auto", "local") else None
    if target is not None:
        try:
            socket.create_connection(target, timeout=_CONNECT_TIMEOUT_S).close()
        except OSError as exc:
            raise ClusterUnavailableError(
                f"the Ray cluster at {address} is not reachable ({exc.strerror or exc}). Start it with "
                "`ray start --head` on the head node, check the host and port (the client server listens on "
                "ray://HEAD:10001, the GCS on HEAD:6379) and the firewall, or drop --address to run on this "
                "machine.") from exc
    if ray.is_initialized():
        return ray
    kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False, "ignore_reinit_error": True,
                              "logging_level": "ERROR"}
    if address in (None, "local"):
        kwargs["num_cpus"] = num_cpus
    try:
        ray.init(address=None if address == "local" else address, **kwargs)
    except (ConnectionError, RuntimeError, TimeoutError) as exc:
        raise ClusterUnavailableError(f"could not join the Ray cluster at {address}: {exc}") from exc
    ray.data.DataContext.get_current().execution_options.preserve_order = True
    ray.data.DataContext.get_current().enable_progress_bars = False
    return ray


class BatchScorer:
    """A Ray Data actor: loads the encoder once, then scores each batch with one API call.

    Parameters
    ----------
    analysis : {"profile", "assign", "similarity"}
    model, backend, cache
        As :func:`traitlens.load_encoder` takes them (an :class:`~traitlens.encoders.Encoder` is used as is).
    options : dict
        Further keyword arguments of the API function (taxonomy, level, exemplars, ...).
    column : str
        The text column of the batches.
    """

    def __init__(self, analysis: str, model: Any = None, backend: str | None = None, cache: Any = False,
                 options: dict[str, Any] | None = None, column: str = "text") -> None:
        from traitlens.encoders import load_encoder

        _limit_threads_to_share()
        self.function = _api_function(analysis)
        self.encoder = load_encoder(model, backend=backend, cache=cache)
        self.options = dict(options or {})
        self.column = column

    def __call__(self, batch: pd.DataFrame) -> pd.DataFrame:
        """Score the batch's texts (blank ones are skipped, as everywhere) and return the result rows."""
        import warnings

        texts = [t for t in batch[self.column].tolist() if isinstance(t, str) and t.strip()]
        if not texts:
            return pd.DataFrame()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the driver cannot show them; the local engine does
            frame = self.function(texts, model=self.encoder, cache=False, **self.options)  # the encoder has its cache
        return frame.reset_index() if frame.index.name is not None else frame.reset_index(drop=True)


def _limit_threads_to_share() -> None:
    """Use as many CPU threads as the actor was given (torch, ONNX Runtime and OpenVINO alike).

    Without this every actor starts one thread per core of its machine, and two one-CPU actors on
    one machine run no faster than one.
    """
    import os

    cpus = _ray().get_runtime_context().get_assigned_resources().get("CPU")
    if not cpus:
        return
    threads = max(1, int(cpus))
    os.environ["OMP_NUM_THREADS"] = str(threads)  # read by the exported backends when they load
    import torch

    torch.set_num_threads(threads)


def _api_function(analysis: str) -> Callable[..., pd.DataFrame]:
    if analysis not in ANALYSES:
        raise InputError(f"analysis must be one of {', '.join(ANALYSES)}; got {analysis!r}")
    from traitlens import api

    return getattr(api, analysis)


def score_dataset(dataset: Any, analysis: str = "profile", *, column: str = "text", model: Any = None,
                  backend: str | None = None, cache: Any = False, workers: int = 2,
                  batch_size: int = DEFAULT_BATCH_SIZE, **options: Any) -> Any:
    """Score every text of a Ray dataset on a pool of ``workers`` actors; return the dataset of result rows.

    Parameters
    ----------
    dataset : ray.data.Dataset
        With a string column ``column``.
    analysis : {"profile", "assign", "similarity"}
        The API function each actor calls on each batch.
    column : str
    model, backend, cache
        The encoder each actor loads once (:func:`traitlens.load_encoder`); ``cache=False`` by default,
        since actors on other machines do not share a cache file.
    workers : int
        Actors in the pool (one encoder each; one CPU each).
    batch_size : int
        Texts per ``map_batches`` call.
    **options
        Keyword arguments of the API function (``taxonomy``, ``level``, ``exemplars``, ...).

    Returns
    -------
    ray.data.Dataset
        The rows the local API function returns, in input order.
    """
    if workers < 1:
        raise InputError(f"workers must be at least 1; got {workers}")
    _api_function(analysis)
    return dataset.map_batches(
        BatchScorer, batch_format="pandas", batch_size=batch_size, compute=_pool(workers), num_cpus=1,
        fn_constructor_kwargs={"analysis": analysis, "model": model, "backend": backend, "cache": cache,
                               "options": options, "column": column})


def _pool(workers: int) -> Any:
    ray = _ray()
    strategy = getattr(ray.data, "ActorPoolStrategy", None)
    return strategy(size=workers) if strategy is not None else workers


def score_texts(texts: Iterable[str], analysis: str = "profile", *, address: str | None = None,
                workers: int = 2, batch_size: int = DEFAULT_BATCH_SIZE, **kwargs: Any) -> pd.DataFrame:
    """Score a list of texts on Ray and return one DataFrame (for data that fits in memory).

    Keyword arguments are those of :func:`score_dataset`. The frame carries the provenance of the
    local API function on the same settings.
    """
    texts = list(texts)
    ray = connect(address, num_cpus=workers)
    # two blocks per actor, or the one block of an in-memory frame would keep all but one actor idle
    dataset = ray.data.from_pandas(pd.DataFrame({"text": texts})).repartition(2 * workers, shuffle=False)
    frame = score_dataset(dataset, analysis, workers=workers, batch_size=batch_size, **kwargs).to_pandas()
    frame.attrs["provenance"] = _provenance(texts, analysis, kwargs, workers, address)
    return frame


def _provenance(texts: list[str], analysis: str, kwargs: dict[str, Any], workers: int,
                address: str | None) -> dict[str, Any]:
    """The provenance the local engine records for these settings (one text scored locally), plus Ray's."""
    from traitlens.encoders import load_encoder

    options = {k: v for k, v in kwargs.items() if k not in {"model", "backend", "cache", "column"}}
    encoder = load_encoder(kwargs.get("model"), backend=kwargs.get("backend"), cache=kwargs.get("cache", False))
    sample = next((t for t in texts if isinstance(t, str) and t.strip()), "x")
    frame = _api_function(analysis)([sample], model=encoder, cache=False, **options)
    return {**frame.attrs.get("provenance", {}), "engine": {"name": "ray", "workers": workers,
                                                             "address": address or "local"}}


def _read(ray: Any, path: Path, column: str | None) -> tuple[Any, str]:
    suffix = path.suffix.lower()
    if not path.is_file():
        raise InputError("file not found", path=path)
    if suffix == ".parquet":
        return ray.data.read_parquet(str(path)), column or "text"
    if suffix in {".csv", ".tsv"}:
        import pyarrow.csv as pacsv

        options = pacsv.ParseOptions(delimiter="\t" if suffix == ".tsv" else ",")
        return ray.data.read_csv(str(path), parse_options=options), column or "text"
    if suffix == ".jsonl":
        return ray.data.read_json(str(path), lines=True), column or "text"
    if suffix == ".txt":
        return ray.data.read_text(str(path)), "text"
    raise InputError(f"unsupported file type {suffix!r} for --engine ray", path=path)


def run_file(path: str | Path, out: str | Path, analysis: str = "profile", *, column: str | None = None,
             address: str | None = None, workers: int = 2, batch_size: int = DEFAULT_BATCH_SIZE,
             **kwargs: Any) -> dict[str, Any]:
    """Score a file on Ray into one Parquet file (atomic rename, provenance). Returns a summary dict."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from traitlens.io.tables import PARQUET_META_KEY, check_writable, json_ready

    path, out = Path(path), Path(out).expanduser()
    check_writable(out)
    started = time.perf_counter()
    ray = connect(address, num_cpus=workers)
    dataset, name = _read(ray, path, column)
    if name not in dataset.columns():
        raise InputError(f"missing column {name!r}; the file has {', '.join(map(repr, dataset.columns()))}",
                         path=path)
    # at least two blocks per actor, or a single-file input (one block) would keep all but one actor idle
    dataset = dataset.repartition(2 * workers, shuffle=False)
    scored = score_dataset(dataset, analysis, column=name, workers=workers, batch_size=batch_size, **kwargs)
    first_text = next(iter(dataset.take(1)), {}).get(name, "x")
    provenance = _provenance([first_text], analysis, kwargs, workers, address)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    rows = 0
    writer = None
    try:
        for batch in scored.iter_batches(batch_format="pyarrow", batch_size=None):
            if batch.num_rows == 0:
                continue
            table = pa.Table.from_batches([batch]) if isinstance(batch, pa.RecordBatch) else batch
            table = table.replace_schema_metadata(None)
            if writer is None:
                schema = table.schema
                meta = {PARQUET_META_KEY: json.dumps(json_ready(provenance), ensure_ascii=False).encode()}
                writer = pq.ParquetWriter(tmp, schema.with_metadata(meta))
            writer.write_table(table.cast(schema))
            rows += table.num_rows
        if writer is None:
            raise InputError("no text to score: the input is empty or blank", path=path)
        writer.close()
        writer = None
        os.chmod(tmp, 0o644)
        os.replace(tmp, out)
    finally:
        if writer is not None:
            writer.close()
        tmp.unlink(missing_ok=True)
    return {"out": str(out), "rows": rows, "seconds": time.perf_counter() - started, "provenance": provenance}

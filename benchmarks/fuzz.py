"""Fuzz every parser of user input for a bounded time; report inputs tried and crashes found.

Targets are in ``tests/reliability/fuzz_targets.py`` (text files: txt, CSV, TSV, JSONL, Parquet;
the CSV/TSV readers of ``io.sources``; taxonomy, inventory and scale files, YAML and CSV; XLSX
uploads of the web package; API payloads). A crash is any exception other than the documented
:class:`traitlens.errors.TraitlensError` family.

Engines:

* ``atheris`` (``pip install traitlens[fuzz]``): coverage-guided libFuzzer over the instrumented
  ``traitlens`` and ``yaml`` modules, one child process per target, seeded with well-formed files;
* ``hypothesis``: random and structured inputs from ``st.binary`` (no coverage feedback);
* ``auto`` (default): atheris when it imports, else hypothesis.

Usage::

    python benchmarks/fuzz.py --seconds 30                  # every target, 30 s each
    python benchmarks/fuzz.py --seconds 5 --targets texts.txt,taxonomy.yaml --engine hypothesis

Writes ``benchmarks/results/fuzz.json`` and ``fuzz.md`` (unless ``--no-write``); exit code 1 if any
target crashed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
sys.path.insert(0, str(ROOT))


def _seeds(folder: Path, suffix: str) -> None:
    """Well-formed example files of one suffix (built-in taxonomies, inventories, small texts)."""
    from importlib import resources

    folder.mkdir(parents=True, exist_ok=True)
    examples: list[bytes] = []
    for package in ("traitlens.constructs.data.taxonomies", "traitlens.constructs.data.inventories"):
        try:
            for entry in resources.files(package).iterdir():
                if entry.name.endswith(suffix) and entry.is_file():
                    examples.append(entry.read_bytes()[:20_000])
        except (ModuleNotFoundError, FileNotFoundError):
            continue
    examples += {
        ".txt": [b"I like parties.\n\nI worry a lot.\nI like parties.\n"],
        ".csv": [b'text,key\n"I like, parties",1\nAm calm.,-1\n', b"item,text,factor,key\nE1,Talk a lot.,E,1\n"],
        ".tsv": [b"text\tkey\nI like parties.\t1\n"],
        ".jsonl": [b'{"text": "I like parties."}\n"Am calm."\n\n'],
        ".json": [b'["I like parties.", "Am calm."]'],
        ".yaml": [b"name: x\nfactors:\n  - name: E\n    keywords: [talkative, bold]\n"],
    }.get(suffix, [])
    for i, data in enumerate(examples):
        (folder / f"seed{i}{suffix}").write_bytes(data)


def _child_atheris(name: str, seconds: float, report: Path, corpus: Path) -> None:
    """Run one target under atheris until ``seconds`` pass; write the counts to ``report``."""
    import atheris

    with atheris.instrument_imports(include=["traitlens", "yaml"]):
        import traitlens.constructs.inventory  # noqa: F401 - instrumented before use
        import traitlens.constructs.taxonomy  # noqa: F401
        import traitlens.io.texts  # noqa: F401
    from tests.reliability.fuzz_targets import crash_signature, run_target, targets

    target = targets()[name]
    state = {"inputs": 0, "crashes": {}, "started": time.time()}

    def dump() -> None:
        report.write_text(json.dumps({**state, "seconds": time.time() - state["started"]}))

    def one(data: bytes) -> None:
        state["inputs"] += 1
        try:
            run_target(target, data)
        except Exception as exc:  # noqa: BLE001 - every undocumented exception is a finding
            sig = crash_signature(exc)
            if sig not in state["crashes"]:
                state["crashes"][sig] = {"count": 0, "example": data[:300].hex()}
            state["crashes"][sig]["count"] += 1
        if state["inputs"] % 200 == 0:
            dump()
            if time.time() - state["started"] >= seconds:
                os._exit(0)

    atheris.Setup([sys.argv[0], f"-max_total_time={int(seconds) + 60}", "-rss_limit_mb=4096", "-max_len=4096",
                   str(corpus)], one)
    try:
        atheris.Fuzz()
    finally:
        dump()


def _run_atheris(name: str, seconds: float, suffix: str) -> dict:
    with tempfile.TemporaryDirectory(prefix="traitlens-fuzz-") as folder:
        report = Path(folder) / "report.json"
        corpus = Path(folder) / "corpus"
        _seeds(corpus, suffix)
        cmd = [sys.executable, __file__, "--child", name, "--seconds", str(seconds), "--report", str(report),
               "--corpus", str(corpus)]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 300, cwd=ROOT)
        if not report.exists():
            return {"inputs": 0, "crashes": {f"child exited {proc.returncode}": {"count": 1, "example": ""}},
                    "seconds": 0.0, "stderr": proc.stderr[-2000:]}
        return json.loads(report.read_text())


def _run_hypothesis(name: str, seconds: float) -> dict:
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import strategies as st

    from tests.reliability.fuzz_targets import crash_signature, run_target, targets

    target = targets()[name]
    state: dict = {"inputs": 0, "crashes": {}}
    started = time.time()

    @settings(max_examples=500, deadline=None, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(st.binary(max_size=2048))
    def one(data: bytes) -> None:
        if time.time() - started >= seconds:
            return
        state["inputs"] += 1
        try:
            run_target(target, data)
        except Exception as exc:  # noqa: BLE001 - every undocumented exception is a finding
            sig = crash_signature(exc)
            entry = state["crashes"].setdefault(sig, {"count": 0, "example": data[:300].hex()})
            entry["count"] += 1

    while time.time() - started < seconds:
        one()
    return {**state, "seconds": time.time() - started}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="time per target")
    parser.add_argument("--targets", default="", help="comma-separated target names (default: all)")
    parser.add_argument("--engine", choices=["auto", "atheris", "hypothesis"], default="auto")
    parser.add_argument("--no-write", action="store_true", help="do not write benchmarks/results/fuzz.*")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--report", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--corpus", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child_atheris(args.child, args.seconds, args.report, args.corpus)
        return 0

    from tests.reliability.fuzz_targets import targets

    available = targets()
    names = [n for n in args.targets.split(",") if n] or list(available)
    unknown = [n for n in names if n not in available]
    if unknown:
        parser.error(f"unknown targets {unknown}; available: {', '.join(available)}")
    engine = args.engine
    if engine == "auto":
        try:
            import atheris  # noqa: F401
            engine = "atheris"
        except ImportError:
            engine = "hypothesis"
    rows = []
    print(f"{'target':28} {'inputs':>9} {'inputs/s':>9} {'crashes':>8}")
    for name in names:
        result = (_run_atheris(name, args.seconds, available[name].suffix) if engine == "atheris"
                  else _run_hypothesis(name, args.seconds))
        crashes = sum(c["count"] for c in result["crashes"].values())
        rate = result["inputs"] / max(result["seconds"], 1e-9)
        rows.append({"target": name, "inputs": result["inputs"], "seconds": round(result["seconds"], 1),
                     "distinct_crashes": len(result["crashes"]), "crashing_inputs": crashes,
                     "crashes": result["crashes"]})
        print(f"{name:28} {result['inputs']:>9,} {rate:>9.0f} {crashes:>8}", flush=True)
        for sig in result["crashes"]:
            print(f"    {sig}")
    total = sum(r["inputs"] for r in rows)
    found = sum(r["distinct_crashes"] for r in rows)
    print(f"{'total':28} {total:>9,} {'':>9} {found:>8} distinct crash(es); engine {engine}, "
          f"{args.seconds:g} s per target")
    if not args.no_write:
        RESULTS.mkdir(parents=True, exist_ok=True)
        meta = {"engine": engine, "seconds_per_target": args.seconds, "python": platform.python_version(),
                "when": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()), "cpus": os.cpu_count()}
        (RESULTS / "fuzz.json").write_text(json.dumps({"meta": meta, "targets": rows}, indent=1) + "\n")
        lines = [f"# Fuzzing ({engine}, {args.seconds:g} s per target, {meta['when']})", "",
                 "| target | inputs | seconds | distinct crashes |", "|---|---:|---:|---:|"]
        lines += [f"| {r['target']} | {r['inputs']:,} | {r['seconds']} | {r['distinct_crashes']} |" for r in rows]
        lines += [f"| **total** | {total:,} | | {found} |", ""]
        (RESULTS / "fuzz.md").write_text("\n".join(lines))
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())

"""Resource limits: time and peak memory of hostile input sizes, each case in a fresh process.

Cases (``--quick`` leaves out the slowest):

* ``text-1MB`` / ``text-50MB``: ``traitlens similarity --file`` on a file whose second line is a single
  1 MB / 50 MB text, with the bundled all-MiniLM-L6-v2 (the text is cut to ``MAX_TEXT_CHARS``);
* ``lines-1e6``: ``traitlens similarity --file`` on a 10^6-line file (refused: more than ``MAX_TEXTS``;
  streamed with ``--out OUT.parquet`` instead, which is the streaming module's own benchmark);
* ``api-100k``: :func:`traitlens.similarity` and :func:`traitlens.profile` on 100,000 texts (``MAX_TEXTS``)
  with a deterministic fake 384-d encoder (the model's own memory is not included), CSV written;
* ``taxonomy-1e4``: a YAML taxonomy of 10^4 constructs (3 keywords each): load, and score 2 texts
  with the fake encoder.

Peak memory is the process's ``ru_maxrss``. Writes ``benchmarks/results/resource_limits.json``.
Usage: ``python benchmarks/resource_limits.py [--quick]``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"

_PEAK = ("import resource, sys\n"
         "def _peak():\n"
         "    print(f'PEAK {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}', file=sys.stderr)\n")

_CLI = _PEAK + """
from traitlens.cli import app
try:
    app(sys.argv[1:])
except SystemExit as exc:
    _peak()
    sys.exit(exc.code)
"""

_API = """
import time, warnings
sys.path.insert(0, {root!r})
warnings.simplefilter("ignore")
import traitlens
from tests.fakes import FakeEncoder
from traitlens.io.tables import write_table
texts = [f"I like parties and meeting new people, number {{i}}" for i in range(100_000)]
for name in ("similarity", "profile"):
    start = time.time()
    frame = getattr(traitlens, name)(texts, model=FakeEncoder(dim=384), cache=False)
    write_table(frame, sys.argv[1] + f".{{name}}.csv")
    print(f"{{name}}: {{len(frame):,}} rows in {{time.time() - start:.1f}} s", file=sys.stderr)
_peak()
"""

_TAXONOMY = """
import time, warnings
sys.path.insert(0, {root!r})
warnings.simplefilter("ignore")
import yaml
import traitlens
from tests.fakes import FakeEncoder
doc = {{"name": "big", "factors": [{{"name": f"Construct {{i}}", "keywords": [f"word{{i}} a", f"word{{i}} b",
        f"word{{i}} c"]}} for i in range(10_000)]}}
open(sys.argv[1], "w").write(yaml.safe_dump(doc))
start = time.time()
tax = traitlens.load_taxonomy(sys.argv[1])
loaded = time.time() - start
frame = traitlens.similarity(["I like parties", "I worry"], taxonomy=tax, model=FakeEncoder(dim=384), cache=False)
print(f"loaded in {{loaded:.1f}} s; {{len(frame):,}} rows in {{time.time() - start:.1f}} s", file=sys.stderr)
_peak()
"""


def _run(name: str, script: str, args: list[str]) -> dict:
    start = time.time()
    proc = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True, timeout=1800,
                          env={**os.environ, "HF_HUB_OFFLINE": "1"}, cwd=ROOT)
    seconds = time.time() - start
    lines = proc.stderr.strip().splitlines()
    peak = next((float(line.split()[1]) for line in reversed(lines) if line.startswith("PEAK ")), float("nan"))
    notes = [line for line in lines if any(w in line for w in ("cut", "error:", "rows", "wrote"))][-3:]
    row = {"case": name, "exit_code": proc.returncode, "seconds": round(seconds, 1), "peak_rss_mb": peak,
           "within_2GB": peak <= 2048, "notes": notes}
    print(f"{name:14} exit {proc.returncode}  {seconds:7.1f} s  peak {peak:7.0f} MB  {' | '.join(notes)[:200]}",
          flush=True)
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="leave out text-50MB and api-100k")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="traitlens-limits-") as tmp:
        folder = Path(tmp)
        for label, size in [("text-1MB", 1_000_000), *([] if args.quick else [("text-50MB", 50_000_000)])]:
            path = folder / f"{label}.txt"
            unit = "I enjoy meeting people at parties "
            path.write_text("I like parties.\n" + unit * (size // len(unit)) + "\n")
            rows.append(_run(label, _CLI, ["similarity", "--file", str(path), "--format", "csv", "--out",
                                           str(folder / f"{label}.csv"), "--no-cache"]))
        path = folder / "lines.txt"
        with open(path, "w") as fh:
            fh.writelines(f"I like parties and meeting new people, number {i}\n" for i in range(1_000_000))
        rows.append(_run("lines-1e6", _CLI, ["similarity", "--file", str(path), "--format", "csv", "--out",
                                            str(folder / "lines.csv"), "--no-cache"]))
        if not args.quick:
            rows.append(_run("api-100k", _PEAK + _API.format(root=str(ROOT)), [str(folder / "api")]))
        rows.append(_run("taxonomy-1e4", _PEAK + _TAXONOMY.format(root=str(ROOT)), [str(folder / "tax.yaml")]))
    if not args.no_write:
        RESULTS.mkdir(parents=True, exist_ok=True)
        meta = {"when": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()), "cpus": os.cpu_count(),
                "note": "shared machine (other jobs running); times are indicative"}
        (RESULTS / "resource_limits.json").write_text(json.dumps({"meta": meta, "cases": rows}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Helpers of the dataset tests: keyed responses, a small bfi folder."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from traitlens import psychometrics as pm
from traitlens.datasets import ResponseData


def keyed(data: ResponseData, scale: str) -> pd.DataFrame:
    keys = data.scales[scale]
    return pm.reverse_key(data.responses[list(keys.index)], keys, data.low, data.high)


def write_bfi(root: Path, rows: list[str], keys: list[str] | None = None) -> Path:
    """A small ``psych_bfi`` folder (4 items, 2 scales) under ``root``; returns ``root``."""
    folder = root / "psych_bfi"
    folder.mkdir(parents=True)
    (folder / "bfi.csv").write_text("row,A1,A2,C1,C2,gender\n" + "\n".join(rows) + "\n")
    keys = keys or ["A1,x,a one,Agreeableness,-1", "A2,x,a two,Agreeableness,1",
                    "C1,x,c one,Conscientiousness,1", "C2,x,c two,Conscientiousness,1"]
    (folder / "bfi_items_keys.csv").write_text("item,sapa_item_id,text,factor,key\n" + "\n".join(keys) + "\n")
    return root


GOOD_ROWS = ["1,1,2,3,4,1", "2,2,3,4,5,2", "3,3,4,4,6,1", "4,6,5,2,1,2"]

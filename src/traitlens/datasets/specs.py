"""The shared response datasets, declared: files, columns, response scale, keys, missing codes, provenance.

:func:`traitlens.datasets.load_responses` reads any :class:`DatasetSpec`; adding a dataset in the
same shape means adding an entry to :data:`SPECS`.
"""

from __future__ import annotations

from dataclasses import dataclass

from traitlens.datasets import bainbridge
from traitlens.datasets.keys import KeysFile, ScaleReader

__all__ = ["SPECS", "SPI_DOMAINS", "DatasetSpec", "TextFile"]


@dataclass(frozen=True)
class TextFile:
    """The table of item texts of a dataset.

    Attributes
    ----------
    file : str
        The table, in the dataset's folder.
    item, text : str
        Its columns of the item id and the item text.
    """

    file: str
    item: str
    text: str


@dataclass(frozen=True)
class DatasetSpec:
    """Everything that differs between two response datasets.

    Attributes
    ----------
    folder : str
        The dataset's folder in the shared data folder.
    responses : str
        The responses file (persons × columns, a header row), in ``folder``.
    items : str or None
        Regular expression that the item columns of ``responses`` match in full (the other columns,
        e.g. age, are ignored). None: the items are the rows of ``text``, in its order, and every
        column of ``responses`` must be one of them.
    text : TextFile
        Where the item texts are.
    keys : ScaleReader
        Reads the scales with their keys and levels: a :class:`~traitlens.datasets.keys.KeysFile`
        (long keys table), or a dataset's own reader where its keys are given otherwise.
    low, high : float
        Bounds of the response scale; reverse keying maps ``x`` to ``low + high - x`` (items are not
        recoded in any of the files).
    separator : str, default ","
        Field separator of ``responses``.
    missing_codes : tuple of float, default ()
        Response codes that mean "not answered".
    source, licence : str
        Provenance and terms of use (:attr:`~traitlens.datasets.ResponseData.source`, ``.licence``).
    """

    folder: str
    responses: str
    items: str | None
    text: TextFile
    keys: ScaleReader
    low: float
    high: float
    separator: str = ","
    missing_codes: tuple[float, ...] = ()
    source: str = ""
    licence: str = ""


_IPIP50_KEYS = "ipip50_items_keys.csv"

#: The SPI scale codes that are Big Five domains (the 27 narrow scales include "Intellect" and
#: "EmotionalStability", which are not).
SPI_DOMAINS = ("Agree", "Consc", "Extra", "Neuro", "Open")

SPECS: dict[str, DatasetSpec] = {
    "big5": DatasetSpec(
        folder="openpsychometrics_big5_2012",
        responses="data.csv",
        separator="\t",
        items=r"[ENACO]\d+",
        text=TextFile(_IPIP50_KEYS, item="item_big5_2012", text="text"),
        # ``key`` is relative to Neuroticism for the N items (the column ``key_ipip_official`` is
        # relative to Emotional Stability and would flip the whole factor).
        keys=KeysFile(_IPIP50_KEYS, item="item_big5_2012", scale="factor", key="key"),
        low=1,
        high=5,
        missing_codes=(0,),  # "missed" in the codebook
        source="Open Psychometrics BIG5 (2012), IPIP Big-Five Factor Markers; GitHub "
        "jcl132/personality-prediction-from-text@0d0b3a72ae7a4f28349635982c35c10fff9e164e data/BIG5/data.csv",
        licence="openpsychometrics.org raw data for research use (CC BY-NC-SA 4.0); items IPIP, public domain",
    ),
    "bfi": DatasetSpec(
        folder="psych_bfi",
        responses="bfi.csv",
        items=r"[ACENO]\d",
        text=TextFile("bfi_items_keys.csv", item="item", text="text"),
        keys=KeysFile("bfi_items_keys.csv", item="item", scale="factor"),
        low=1,
        high=6,
        source="psych::bfi (SAPA project, Revelle); GitHub cran/psych@9e3254464723e8722c4a4f5b106919040efa876e "
        "data/bfi.rda",
        licence="GPL (>= 2) (R package psych); items IPIP, public domain",
    ),
    "spi": DatasetSpec(
        folder="sapa_spi135",
        responses="spi.csv",
        items=r"q_\d+",
        text=TextFile("spi_dictionary.csv", item="item_id", text="item"),
        keys=KeysFile("spi_keys_long.csv", item="item", scale="scale", domains=SPI_DOMAINS),
        low=1,
        high=6,
        source="SAPA Personality Inventory (Condon 2018), psychTools::spi; GitHub "
        "cran/psychTools@79df5145fe5505cc14aaa7b46847b240c8556548 data/spi.rda",
        licence="GPL (>= 2) (R package psychTools); SPI items public domain",
    ),
    "adjectives": DatasetSpec(
        folder="goldberg_big5_100_adjectives",
        responses="big5_100_adjectives.csv",
        items=r"V\d+",
        text=TextFile("adjectives_keys.csv", item="item", text="adjective"),
        keys=KeysFile("adjectives_keys.csv", item="item", scale="factor"),
        low=1,
        high=9,  # self-ratings on a 9-point scale: the data use exactly the codes 1..9
        source="Goldberg's 100 Big-Five adjective markers, psychTools::big5.100.adjectives; GitHub "
        "cran/psychTools@79df5145fe5505cc14aaa7b46847b240c8556548",
        licence="GPL (>= 2) (R package psychTools)",
    ),
    "bainbridge": DatasetSpec(
        folder=bainbridge.FOLDER,
        responses="human.csv",
        items=None,
        text=TextFile("mapping2.csv", item="variable", text="item_text"),
        keys=bainbridge.bainbridge_scales,  # only the first item's key is given
        low=1,
        high=5,  # every item is a 5-point rating; reverse-keyed items are not recoded in the file
        source="Bainbridge, Ludeke & Smillie (2022) study 2 (OSF osf.io/y7tkn), as prepared by Hommel & Arslan "
        "(2025, AMPPS, doi:10.1177/25152459251377093); GitHub rubenarslan/surveybot3000@"
        "ab698906b8e57c8a24d77951cbbb1bbab19fc0fc data/intermediate/*osf-bainbridge-2021-s2-0*",
        licence="no licence file: research and evaluation inside this project only; do not redistribute",
    ),
}

"""Person-level questionnaire responses: loaders, validation, and observed item/scale statistics.

Each dataset is one folder of the shared open-data collection (``$TRAITLENS_DATA_DIR``, or
``shared/data`` next to the project), declared in :data:`~traitlens.datasets.specs.SPECS` and read
by :func:`load_responses` into a :class:`ResponseData`: a persons × items frame of responses
(``NaN`` = missing), the response-scale bounds, the scales with their item keys, and the item
texts. From it follow the observed item correlations, keyed scale scores, scale correlations and
Cronbach's alphas that traitlens' text-only predictions are evaluated against.

The data files are not part of the package; their licences are recorded in
:attr:`ResponseData.licence` (two of them allow research use only).

Datasets
--------
``big5``
    Open Psychometrics BIG5 (2012): IPIP Big-Five Factor Markers, 19,719 persons × 50 items, 1–5.
``bfi``
    ``psych::bfi``: 25 IPIP items (SAPA), 2,800 persons, 1–6.
``spi``
    SAPA Personality Inventory: 135 items, 4,000 persons, 1–6; 5 Big Five + 27 narrow scales.
``adjectives``
    Goldberg's 100 Big-Five adjective markers (``psychTools``), 554 persons, 1–9.
``bainbridge``
    Bainbridge et al. (2022) study 2: 418 items of 22 instruments, 493 persons, 1–5; the pilot
    evaluation set of Hommel & Arslan (2025). See also :func:`load_bainbridge_pairs`.

Modules
-------
``specs``
    What each dataset is (files, columns, response scale, keys, missing codes, licence).
``loader``
    :func:`load_responses`: one loader for every spec.
``keys``
    Scales and keys from a long keys table (:class:`~traitlens.datasets.keys.KeysFile`).
``bainbridge``
    Bainbridge's keys from the first item, and :func:`load_bainbridge_pairs`.
``responses``
    :class:`ResponseData`, :class:`DataWarning`.
``validation``
    :func:`validate_responses`.
``paths``
    :func:`default_data_dir`.
"""

from traitlens.constructs.bigfive import BIG_FIVE
from traitlens.datasets.bainbridge import load_bainbridge_pairs
from traitlens.datasets.loader import available_datasets, load_responses
from traitlens.datasets.paths import default_data_dir
from traitlens.datasets.responses import DataWarning, ResponseData
from traitlens.datasets.validation import validate_responses

__all__ = [
    "BIG_FIVE",
    "DataWarning",
    "ResponseData",
    "available_datasets",
    "default_data_dir",
    "load_bainbridge_pairs",
    "load_responses",
    "validate_responses",
]

"""Where the shared response data live: ``$TRAITLENS_DATA_DIR``, else ``shared/data`` next to the project."""

from __future__ import annotations

import os
from pathlib import Path

from traitlens.errors import InputError

__all__ = ["default_data_dir", "resolve_data_dir"]

DATA_DIR_ENV = "TRAITLENS_DATA_DIR"


def _checkout_data_dir() -> Path | None:
    """``shared/data`` beside the repository root when traitlens runs from a checkout (editable install)."""
    package = Path(__file__).resolve().parents[1]  # .../src/traitlens
    repo = package.parents[1]
    if package.parent.name != "src" or not (repo / "pyproject.toml").is_file():
        return None
    return repo.parent / "shared" / "data"


#: The checkout's data folder, or None when traitlens is not run from a checkout.
CHECKOUT_DATA_DIR = _checkout_data_dir()


def default_data_dir() -> Path:
    """The folder that holds the response datasets.

    The first that applies: ``$TRAITLENS_DATA_DIR``; ``../shared/data`` relative to the current
    directory (the layout of the project, run from the repository root); ``shared/data`` beside the
    repository root of the checkout traitlens is installed from (editable install).

    Returns
    -------
    Path

    Raises
    ------
    InputError
        ``$TRAITLENS_DATA_DIR`` names a folder that does not exist, or it is not set and neither
        folder exists (the message names ``--data-dir`` and ``TRAITLENS_DATA_DIR``).
    """
    env = os.environ.get(DATA_DIR_ENV, "").strip()
    if env:
        path = Path(env).expanduser()
        if not path.is_dir():
            raise InputError(f"${DATA_DIR_ENV} is {env!r}, which is not a folder")
        return path
    tried = [Path.cwd().parent / "shared" / "data"]
    if CHECKOUT_DATA_DIR is not None:
        tried.append(CHECKOUT_DATA_DIR)
    for path in tried:
        if path.is_dir():
            return path.resolve()
    raise InputError(
        f"no response-data folder: ${DATA_DIR_ENV} is not set and none of {', '.join(map(str, tried))} exists; "
        f"pass --data-dir (data_dir in Python) or set {DATA_DIR_ENV} to the folder holding "
        "openpsychometrics_big5_2012/, psych_bfi/, …"
    )


def resolve_data_dir(data_dir: str | Path | None) -> Path:
    """``data_dir`` if given (it must be a folder), else :func:`default_data_dir`.

    Parameters
    ----------
    data_dir : str or Path, optional
        The folder holding the dataset folders.

    Returns
    -------
    Path

    Raises
    ------
    InputError
        ``data_dir`` is not a folder, or :func:`default_data_dir` finds none.
    """
    if data_dir is None:
        return default_data_dir()
    path = Path(data_dir).expanduser()
    if not path.is_dir():
        raise InputError("the response-data folder does not exist (check --data-dir / data_dir)", path=path)
    return path

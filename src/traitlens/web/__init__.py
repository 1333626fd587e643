"""``traitlens serve``: the analyses as a JSON API and a web page (FastAPI + uvicorn; the ``traitlens[web]`` extra).

Layout: :mod:`~traitlens.web.schemas` the pydantic request and response models,
:mod:`~traitlens.web.endpoints` the registry (one small adapter per analysis: request → API call →
the CLI's JSON envelope), :mod:`~traitlens.web.models` the shared, allow-listed encoders,
:mod:`~traitlens.web.uploads` CSV/XLSX uploads, :mod:`~traitlens.web.app` the application (auth,
limits, the page, offline docs). Import :func:`create_app` from :mod:`traitlens.web.app`; this
module imports nothing heavy, so :func:`require_web` can name the missing extra.
"""

from __future__ import annotations

import importlib.util

#: The distributions of the ``web`` extra and the module each provides.
WEB_MODULES = {"fastapi": "fastapi", "uvicorn": "uvicorn", "python-multipart": "multipart", "jinja2": "jinja2",
               "openpyxl": "openpyxl", "swagger-ui-bundle-v2": "swagger_ui_bundle"}
INSTALL_HINT = "pip install 'traitlens[web]'"


def missing_web_modules() -> list[str]:
    """The distributions of the ``web`` extra that are not installed (empty when all are)."""
    return [dist for dist, module in WEB_MODULES.items() if importlib.util.find_spec(module) is None]


def require_web() -> None:
    """Fail with a message naming the extra to install when a web dependency is missing.

    Raises
    ------
    ImportError
        Naming the missing distributions and ``pip install 'traitlens[web]'``.
    """
    missing = missing_web_modules()
    if missing:
        raise ImportError(f"traitlens serve needs {', '.join(missing)}: {INSTALL_HINT}")


__all__ = ["INSTALL_HINT", "missing_web_modules", "require_web"]

"""The FastAPI application of ``traitlens serve``: JSON endpoints, the web page, offline docs, auth and limits.

Routes
------
``GET /health``
    Status, version, the allowed and loaded models, the endpoints (never needs a token).
``POST /api/<analysis>``
    One per :class:`~traitlens.web.endpoints.Endpoint`; the body is the Python function's parameters,
    the response the CLI's JSON envelope.
``GET /api/taxonomies``, ``GET /api/inventories``
    What is built in, in the same envelope.
``POST /api/upload``
    Texts of an uploaded CSV/TSV/TXT/JSONL/Parquet/XLSX file (multipart), for the page.
``POST /api/export?format=csv|parquet``
    An envelope (as returned by an analysis) as a CSV or Parquet file with its provenance.
``GET /``
    The page: paste or upload texts, run an analysis, see the table and charts, download them.
``GET /docs``, ``GET /openapi.json``
    Swagger UI from the installed ``swagger-ui-bundle-v2`` package (no CDN) and the schema.

Safety: with a token every ``/api/`` request needs ``Authorization: Bearer TOKEN`` (401 otherwise);
with ``allowed_hosts`` (a loopback server) any other ``Host`` header is a 400 (no DNS rebinding);
a body over :data:`~traitlens.web.schemas.MAX_BODY_BYTES` is refused with 413 before it is read;
a body that does not arrive within :data:`BODY_TIMEOUT` seconds is a 408; a JSON route called with
another ``Content-Type`` is a 415; a body that is not UTF-8 JSON is a 400;
bad parameters, too many or too long texts, and models off the allow-list are 422 with a message.
Public without a token: ``/health`` (status, version, allowed model ids), the page, its static files
and ``/docs``/``/openapi.json`` (none holds data or secrets); the token is read from the
``Authorization`` header only, never from the query string (URLs end up in logs and histories).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import hmac
import importlib.util
import inspect
import json
import re
import threading
import warnings
from collections.abc import Awaitable, Callable, Iterator, MutableMapping, Sequence
from pathlib import Path
from typing import Any, Literal

import pandas as pd
from fastapi import APIRouter, Depends, FastAPI, File, Form, HTTPException, Query, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

from traitlens import __version__
from traitlens.errors import InputError, ModelUnavailableError, TraitlensError
from traitlens.web.endpoints import Endpoint, endpoints, inventories, taxonomies
from traitlens.web.models import ModelPool
from traitlens.web.schemas import MAX_BODY_BYTES, MAX_TEXT_CHARS, MAX_TEXTS, Envelope, Health, Upload

HERE = Path(__file__).resolve().parent
#: ``/api/export`` takes back a whole result (e.g. the 499,500 pairs of 1,000 items): this many times the body limit.
EXPORT_FACTOR = 16
#: Seconds a client has to send its whole request body (408 after that): a slow or stalled client
#: must not hold a connection and its memory for ever.
BODY_TIMEOUT = 30.0
#: The error statuses of every ``/api/`` route, for the schema.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"description": "The body is not JSON (or not UTF-8)"},
    401: {"description": "Missing or wrong token (only when the server has one)"},
    408: {"description": "The body did not arrive in time"},
    413: {"description": "Body too large"},
    415: {"description": "A JSON route called without Content-Type: application/json"},
    422: {"description": "Bad input: the message names the field and the problem"},
    503: {"description": "An allowed model could not be loaded"},
}
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


def plotly_js() -> Path:
    """``plotly.min.js`` of the installed plotly package (the page's charts, served locally)."""
    import plotly

    return Path(plotly.__file__).resolve().parent / "package_data" / "plotly.min.js"


def swagger_dir() -> Path | None:
    """The Swagger UI files of the installed ``swagger-ui-bundle-v2`` package, or None."""
    if importlib.util.find_spec("swagger_ui_bundle") is None:
        return None
    import swagger_ui_bundle

    return Path(swagger_ui_bundle.swagger_ui_path)


class BodyLimit:
    """ASGI middleware: a request body over ``limit`` bytes gets 413, by its Content-Length or as it streams in.

    ``paths`` maps a path to its own limit (``/api/export`` takes back a whole result, which may be large).
    """

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]], limit: int,
                 paths: dict[str, int] | None = None) -> None:
        self.app = app
        self.default = limit
        self.paths = dict(paths or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Refuse or count the body of an HTTP request; pass anything else through."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.paths.get(scope.get("path", ""), self.default)
        message = f"request body too large: at most {limit:,} bytes"
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > limit:
            response = JSONResponse(_error(message), status_code=413)
            await response(scope, receive, send)
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            received = await receive()
            if received["type"] == "http.request":
                seen += len(received.get("body", b""))
                if seen > limit:
                    raise HTTPException(413, message)
            return received

        await self.app(scope, limited, send)


class BodyTimeout:
    """ASGI middleware: a request body that has not fully arrived ``seconds`` after the app first asks for it is a 408.

    Only reads of the body are timed (a response may still listen for a disconnect afterwards).
    """

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]], seconds: float) -> None:
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Time the body reads of an HTTP request; pass anything else through."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        loop = asyncio.get_running_loop()
        deadline: float | None = None
        complete = False

        async def timed() -> Message:
            nonlocal deadline, complete
            if complete:
                return await receive()
            if deadline is None:
                deadline = loop.time() + self.seconds
            try:
                received = await asyncio.wait_for(receive(), max(deadline - loop.time(), 0.0))
            except TimeoutError:
                raise HTTPException(408, f"the request body did not arrive within {self.seconds:g} s",
                                    headers={"Connection": "close"}) from None
            if received["type"] != "http.request" or not received.get("more_body", False):
                complete = True
            return received

        await self.app(scope, timed, send)


def _require_json(request: Request) -> None:
    """A dependency of the JSON routes: the body must be sent as ``application/json`` (415 otherwise)."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/json" and not (kind.startswith("application/") and kind.endswith("+json")):
        raise HTTPException(415, f"send the body as JSON with 'Content-Type: application/json' "
                                 f"(got {kind or 'no Content-Type'!r})")


def _bearer_check(token: str) -> Callable[..., None]:
    """A dependency that enforces ``Authorization: Bearer token``."""
    scheme = HTTPBearer(auto_error=False, description="The token given to `traitlens serve --token`.")

    def check(credentials: HTTPAuthorizationCredentials | None = Depends(scheme)) -> None:  # noqa: B008
        given = "" if credentials is None else credentials.credentials
        if not hmac.compare_digest(given.encode(), token.encode()):
            raise HTTPException(401, "missing or wrong token: send 'Authorization: Bearer TOKEN'",
                                headers={"WWW-Authenticate": "Bearer"})

    return check


#: The warnings of the request being served in this context (thread), or None outside a request.
_WARNINGS: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar("traitlens_warnings", default=None)
_CAPTURE_LOCK = threading.Lock()


def _install_warning_capture() -> None:
    """Route warnings raised while a request is served into that request's list (once per process).

    ``warnings.catch_warnings`` changes process-wide state, so concurrent requests would catch each
    other's warnings; instead ``warnings.showwarning`` is wrapped once and looks up the list of the
    request in the current context (:data:`_WARNINGS`); outside a request it shows them as before.
    traitlens' own warnings are shown every time (``always``), not once per place: two requests with
    the same blank text each hear about it.
    """
    with _CAPTURE_LOCK:
        if getattr(warnings.showwarning, "_traitlens_capture", False):
            return
        shown = warnings.showwarning

        def showwarning(message: Any, category: type[Warning], filename: str, lineno: int, file: Any = None,
                        line: str | None = None) -> None:
            sink = _WARNINGS.get()
            if sink is None:
                shown(message, category, filename, lineno, file, line)
            elif str(message) not in sink:
                sink.append(str(message))

        showwarning._traitlens_capture = True  # type: ignore[attr-defined]
        warnings.showwarning = showwarning
        warnings.filterwarnings("always", module=r"traitlens(\.|$)")


@contextlib.contextmanager
def request_warnings() -> Iterator[list[str]]:
    """The warnings raised in this context while the block runs (see :func:`_install_warning_capture`)."""
    caught: list[str] = []
    token = _WARNINGS.set(caught)
    try:
        yield caught
    finally:
        _WARNINGS.reset(token)


def with_warnings(payload: dict[str, Any], caught: list[str]) -> dict[str, Any]:
    """``payload`` with ``warnings`` added when there were any."""
    return {**payload, "warnings": list(caught)} if caught else payload


def _error(detail: Any) -> dict[str, Any]:
    """An error body: ``detail`` (FastAPI's key) and ``message``, the one line to show, in every error reply."""
    return {"detail": detail, "message": detail if isinstance(detail, str) else json.dumps(detail)}


def _add_analysis(router: APIRouter, endpoint: Endpoint, pool: ModelPool) -> None:
    """``POST /api/<name>``: validate the body, get the shared encoder, run the adapter (in the thread pool).

    What the analysis warns about comes back in the envelope's ``warnings`` list.
    """

    def route(body: Any) -> JSONResponse:
        with request_warnings() as caught:
            encoder = pool.get(body.model)
            payload = endpoint.adapter(body, encoder)
        return JSONResponse(with_warnings(payload, caught))

    route.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter("body", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=endpoint.request)])
    route.__name__ = endpoint.name.replace("-", "_")
    router.add_api_route(f"/{endpoint.name}", route, methods=["POST"], response_model=endpoint.response,
                         summary=endpoint.summary, name=endpoint.name, dependencies=[Depends(_require_json)])


def create_app(pool: ModelPool | None = None, *, token: str | None = None, max_body_bytes: int = MAX_BODY_BYTES,
               explain: bool | None = None, allowed_hosts: Sequence[str] | None = None,
               body_timeout: float | None = BODY_TIMEOUT) -> FastAPI:
    """Build the application.

    Parameters
    ----------
    pool : ModelPool, optional
        The allow-listed, shared encoders (default: the bundled model only).
    token : str, optional
        When given, every ``/api/`` request needs ``Authorization: Bearer token``.
    max_body_bytes : int
        Largest request body (413 above).
    explain : bool, optional
        Offer explanations on the page; default: whether ``traitlens.explain`` is installed.
    allowed_hosts : sequence of str, optional
        Answer only requests whose ``Host`` header names one of these (400 otherwise): on a loopback
        server this stops a web page from reaching it through a DNS name re-pointed at 127.0.0.1
        (DNS rebinding). None: any host.
    body_timeout : float, optional
        Seconds a client has to send its whole body (408 after that); None: no limit.

    Returns
    -------
    FastAPI
    """
    pool = pool or ModelPool()
    registry = endpoints()
    app = FastAPI(title="traitlens", version=__version__, docs_url=None, redoc_url=None,
                  description="What a piece of text says about personality. Every analysis returns "
                              "`{provenance, results}`, the same rows as `traitlens CMD --format json`.")
    app.state.pool = pool
    app.add_middleware(BodyLimit, limit=max_body_bytes,  # type: ignore[arg-type]
                       paths={"/api/export": EXPORT_FACTOR * max_body_bytes})
    if body_timeout is not None:
        app.add_middleware(BodyTimeout, seconds=body_timeout)  # type: ignore[arg-type]
    if allowed_hosts is not None:
        from starlette.middleware.trustedhost import TrustedHostMiddleware

        app.add_middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts))

    _install_warning_capture()

    @app.exception_handler(InputError)
    async def _input_error(request: Request, exc: InputError) -> JSONResponse:
        return JSONResponse(_error(str(exc)), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail
        if exc.status_code == 400 and detail == "There was an error parsing the body":  # FastAPI's words
            detail = "the body is not valid JSON (send UTF-8 JSON with 'Content-Type: application/json')"
        return JSONResponse(_error(detail), status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        syntax = [e for e in exc.errors() if e.get("type") == "json_invalid"]
        if syntax:  # not JSON at all: a 400, as for a body that is not UTF-8
            where = syntax[0]["loc"][-1]
            reason = (syntax[0].get("ctx") or {}).get("error", syntax[0]["msg"])
            return JSONResponse(_error(f"the body is not valid JSON: {reason} at character {where}"),
                                status_code=400)
        errors = [{k: v for k, v in error.items() if k in ("type", "loc", "msg")} for error in exc.errors()]
        message = "; ".join(f"{'.'.join(str(p) for p in e['loc'][1:]) or 'body'}: {e['msg']}" for e in errors)
        return JSONResponse({"detail": errors, "message": message}, status_code=422)

    @app.exception_handler(ModelUnavailableError)
    async def _model_error(request: Request, exc: ModelUnavailableError) -> JSONResponse:
        return JSONResponse(_error(str(exc)), status_code=503)

    @app.exception_handler(TraitlensError)
    async def _other_error(request: Request, exc: TraitlensError) -> JSONResponse:
        return JSONResponse(_error(str(exc)), status_code=422)

    # The security scheme is declared (and enforced) only with a token, so the schema says what the server does.
    router = APIRouter(prefix="/api", dependencies=[] if token is None else [Depends(_bearer_check(token))],
                       responses=ERROR_RESPONSES)
    for endpoint in registry:
        _add_analysis(router, endpoint, pool)

    @router.get("/taxonomies", response_model=Envelope, summary="The built-in taxonomies.")
    def _taxonomies() -> JSONResponse:
        return JSONResponse(taxonomies())

    @router.get("/inventories", response_model=Envelope,
                summary="The built-in inventories (the rows of `traitlens inventories --format json`).")
    def _inventories() -> JSONResponse:
        return JSONResponse(inventories())

    @router.post("/upload", response_model=Upload, summary="Texts of an uploaded CSV/TSV/TXT/JSONL/Parquet/XLSX.")
    def _upload(file: UploadFile = File(...), column: str | None = Form(None)) -> Upload:  # noqa: B008
        from traitlens.web.uploads import read_upload

        with request_warnings() as caught:
            texts, chosen, columns = read_upload(file.filename or "upload", file.file.read(), column or None)
        if len(texts) > MAX_TEXTS:
            raise InputError(f"{file.filename}: {len(texts)} texts; at most {MAX_TEXTS} per request")
        return Upload(texts=texts, column=chosen, columns=columns, warnings=caught or None)

    @router.post("/export", summary="An envelope as a CSV or Parquet file with its provenance.",
                 response_class=Response, dependencies=[Depends(_require_json)],
                 responses={200: {"content": {"text/csv": {}, "application/octet-stream": {}}}})
    def _export(body: Envelope, format: Literal["csv", "parquet"] = Query("csv")) -> Response:  # noqa: A002
        from traitlens.io.tables import render

        frame = pd.DataFrame(body.results)
        try:
            payload = render(frame, format, body.provenance)
        except (ValueError, TypeError, OverflowError, NotImplementedError) as exc:  # pyarrow's errors derive from these
            raise InputError(f"results cannot be written as {format}: {type(exc).__name__}: {exc}") from None
        kind = "text/csv" if format == "csv" else "application/octet-stream"
        analysis = re.sub(r"[^A-Za-z0-9_.-]+", "_", str(body.provenance.get("analysis", "results")))[:80] or "results"
        headers = {"Content-Disposition": f'attachment; filename="traitlens-{analysis}.{format}"'}
        if format == "csv":
            headers["X-Traitlens-Provenance"] = json.dumps(body.provenance, ensure_ascii=True)
        return Response(payload, media_type=kind, headers=headers)

    app.include_router(router)

    @app.get("/health", response_model=Health, summary="Status, version, models and endpoints.")
    def _health() -> Health:
        return Health(status="ok", version=__version__, models=list(pool.allowed), loaded=pool.loaded(),
                      endpoints=[e.name for e in registry], token_required=token is not None)

    templates = Jinja2Templates(directory=str(HERE / "templates"))
    has_explain = importlib.util.find_spec("traitlens.explain") is not None if explain is None else explain

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def _page(request: Request) -> HTMLResponse:
        from traitlens.constructs.inventory import builtin_inventories
        from traitlens.constructs.taxonomy import builtin_taxonomies
        from traitlens.examples import EXAMPLE_SENTENCES

        context = {"version": __version__, "taxonomies": builtin_taxonomies(), "inventories": builtin_inventories(),
                   "models": pool.allowed, "analyses": [e.name for e in registry], "token_required": token is not None,
                   "explain": has_explain, "max_texts": MAX_TEXTS, "max_chars": MAX_TEXT_CHARS,
                   "examples": list(EXAMPLE_SENTENCES)}
        return templates.TemplateResponse(request, "index.html", context)

    app.mount("/static/app", StaticFiles(directory=str(HERE / "static")), name="static")

    @app.get("/static/plotly.min.js", include_in_schema=False)
    def _plotly() -> FileResponse:
        return FileResponse(plotly_js(), media_type="text/javascript")

    swagger = swagger_dir()
    if swagger is not None:
        app.mount("/static/swagger", StaticFiles(directory=str(swagger)), name="swagger")

    @app.get("/docs", include_in_schema=False)
    def _docs() -> HTMLResponse:
        if swagger is None:  # the CDN default would not load offline: say where the schema is instead
            return HTMLResponse("<p>Swagger UI needs the swagger-ui-bundle-v2 package (pip install "
                                "'traitlens[web]'); the schema is at <a href='/openapi.json'>/openapi.json</a>.</p>")
        return get_swagger_ui_html(openapi_url="/openapi.json", title="traitlens API",
                                   swagger_js_url="/static/swagger/swagger-ui-bundle.js",
                                   swagger_css_url="/static/swagger/swagger-ui.css",
                                   swagger_favicon_url="/static/swagger/favicon-32x32.png")

    return app


__all__ = ["BodyLimit", "BodyTimeout", "create_app", "plotly_js", "swagger_dir"]

"""``traitlens serve``: the analyses as a JSON API and a web page on this machine (the ``traitlens[web]`` extra)."""

from __future__ import annotations

import ipaddress
import socket

import typer

from traitlens.cli.options import AllowModelOpt, Backend, BackendOpt, HostOpt, PortOpt, TokenOpt
from traitlens.cli.shell import reporting, stderr

LOOPBACK_NAMES = ("localhost",)
#: The Host headers a loopback server answers (besides the address it binds).
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "[::1]")


def is_loopback(host: str) -> bool:
    """Whether ``host`` is a loopback address (``127.0.0.0/8``, ``::1``) or ``localhost``."""
    if host.strip().lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_port(host: str, port: int) -> str | None:
    """Why ``host:port`` cannot be listened on (``address already in use``, ...), or None when it can.

    Binds a probe socket the way uvicorn binds its own (``SO_REUSEADDR``) and closes it at once, so that
    the command fails before the model loads and before it announces an address it cannot serve.
    """
    try:
        infos = socket.getaddrinfo(host.strip("[]"), port, type=socket.SOCK_STREAM)
    except OSError as exc:
        return f"cannot resolve {host}: {exc.strerror or exc}"
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            return (exc.strerror or str(exc)).lower()
    return None


def serve_cmd(
    host: HostOpt = "127.0.0.1",
    port: PortOpt = 8000,
    token: TokenOpt = None,
    allow_model: AllowModelOpt = None,
    backend: BackendOpt = Backend.torch,
) -> None:
    """Serve the analyses as a JSON API (/api/, docs at /docs) and a web page (/) until interrupted."""
    from traitlens.web import missing_web_modules

    if token is not None and not token.strip():
        raise typer.BadParameter("the token must not be empty", param_hint="--token")
    if not is_loopback(host) and token is None:
        raise typer.BadParameter(f"{host} is reachable from other machines: give --token TOKEN (clients then send "
                                 "'Authorization: Bearer TOKEN'), or bind 127.0.0.1", param_hint="--host")
    missing = missing_web_modules()
    if missing:
        stderr(f"error: traitlens serve needs {', '.join(missing)}: pip install 'traitlens[web]'")
        raise typer.Exit(code=1)
    problem = check_port(host, port)
    if problem is not None:
        shown = f"[{host}]" if ":" in host else host
        stderr(f"error: cannot listen on {shown}:{port}: {problem}" +
               ("; another server (an earlier traitlens serve?) has it: stop it or choose --port"
                if "in use" in problem else ""))
        raise typer.Exit(code=1)
    import uvicorn

    from traitlens.web.app import create_app
    from traitlens.web.models import DEFAULT_ALLOWED, ModelPool, default_loader
    from traitlens.web.server import uvicorn_options

    with reporting():
        loader = default_loader(backend=backend.value) if backend is not Backend.torch else default_loader()
        pool = ModelPool(allow_model or DEFAULT_ALLOWED, loader=loader)
        pool.get().encode(["I am warming up the model."])  # load the default model before the first request
        hosts = [*LOOPBACK_HOSTS, host.strip("[]"), f"[{host.strip('[]')}]"] if is_loopback(host) else None
        app = create_app(pool, token=token, allowed_hosts=hosts)  # loopback: no DNS rebinding
    shown = f"[{host}]" if ":" in host else host
    stderr(f"traitlens serve: http://{shown}:{port}/ · API docs http://{shown}:{port}/docs · models: "
           f"{', '.join(pool.allowed)} ({backend.value})" + (" · token required" if token else ""))
    uvicorn.run(app, host=host, port=port, **uvicorn_options())  # timeouts for slow clients

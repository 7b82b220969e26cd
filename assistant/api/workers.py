"""`whatworks serve --workers N`: N API processes on one port, each listening on a socket of its own.

uvicorn's workers share one listening socket, and the process that wakes first accepts every
connection waiting on it. Keep-alive clients that connect together (a load balancer's pool, the
Slack bot, the load benchmark's eight clients) then all land on one worker while the other idles:
measured on 2 cores, all eight connections went to one worker in three runs of four (77-96
answers/s, against 143 when they split). With SO_REUSEPORT each worker listens on a socket of its
own, bound to the same address, and the kernel spreads new connections over them.

uvicorn's supervisor is kept (it pings the workers, replaces one that dies or hangs, and stops them
all on a signal); only the sockets it hands each new worker change.
"""

from __future__ import annotations

import socket
from typing import Any

from uvicorn import Config
from uvicorn.supervisors.multiprocess import Multiprocess


def spreads_connections() -> bool:
    """Whether this system can give each worker a socket of its own on one port."""
    return hasattr(socket, "SO_REUSEPORT")


def _bound(host: str, port: int, share: bool) -> socket.socket:
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if share:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind(address)
    except OSError:
        sock.close()
        raise
    return sock


def cannot_listen(host: str, port: int) -> str | None:
    """Why host:port cannot be served, or None. Checked with a plain socket before the workers bind theirs:
    SO_REUSEPORT would also let them share a port that another server of the same user already holds."""
    try:
        _bound(host, port, share=False).close()
    except OSError as exc:
        return f"cannot listen on {host}:{port}: {exc.strerror or exc}"
    return None


def listening_socket(host: str, port: int, backlog: int = 2048) -> socket.socket:
    """A socket bound to (host, port) that other sockets may bind to as well, listening."""
    sock = _bound(host, port, share=True)
    sock.listen(backlog)
    sock.set_inheritable(True)
    return sock


class SpreadWorkers(Multiprocess):
    """uvicorn's supervisor, with a new listening socket for each worker it starts.

    The supervisor reads `sockets` each time it makes a worker; here that makes a socket. Once the
    worker has started (it holds its own copy), the supervisor closes its copy: a socket left open
    in the supervisor would get its share of connections and never accept them."""

    def __init__(self, config: Config) -> None:
        super().__init__(config, sockets=[])
        self._handed: list[socket.socket] = []

    @property  # type: ignore[override]
    def sockets(self) -> list[socket.socket]:
        sock = listening_socket(self.config.host, self.config.port, self.config.backlog)
        self._handed.append(sock)
        return [sock]

    @sockets.setter
    def sockets(self, _value: list[socket.socket]) -> None:
        pass  # made per worker, above

    def _close_handed(self) -> None:
        while self._handed:
            self._handed.pop().close()

    def init_processes(self) -> None:
        try:
            super().init_processes()
        finally:
            self._close_handed()

    def keep_subprocess_alive(self) -> None:
        try:
            super().keep_subprocess_alive()
        finally:
            self._close_handed()

    def restart_all(self) -> None:
        try:
            super().restart_all()
        finally:
            self._close_handed()


def serve_workers(app: str, host: str, port: int, workers: int, **options: Any) -> None:
    """Run `app` (an import string) in `workers` processes on host:port, connections spread over them."""
    config = Config(app, host=host, port=port, workers=workers, **options)
    SpreadWorkers(config).run()

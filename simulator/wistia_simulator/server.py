"""The HTTP layer: a threading HTTP/1.1 keep-alive server that hands every request to the app.

Small responses go out without delay (Nagle disabled, Content-Length always set). A truncated page is
sent with the full Content-Length but only part of the body, then the connection is closed.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import socket
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit

logger = logging.getLogger("wistia_simulator.http")


@dataclass(slots=True)
class Outcome:
    status: int
    body: bytes
    content_type: str = "application/json; charset=utf-8"
    headers: list[tuple[str, str]] = field(default_factory=list)
    truncate: bool = False


@dataclass(frozen=True, slots=True)
class Incoming:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    client_host: str


class App(Protocol):
    def serve(self, request: Incoming) -> Outcome: ...


class SimHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], app: App) -> None:
        self.app = app
        super().__init__(address, SimRequestHandler)


def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


class SimRequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server_version = "WistiaSimulator/1.0"
    sys_version = ""
    server: SimHTTPServer

    def log_message(self, format: str, *args: Any) -> None:
        # The request line and status only: never headers (they carry the token).
        logger.debug("%s " + format, self.client_address[0], *args)

    def _dispatch(self) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        request = Incoming(
            method=self.command,
            path=parts.path,
            query=parse_qs(parts.query, keep_blank_values=True),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
            client_host=self.client_address[0],
        )
        try:
            outcome = self.server.app.serve(request)
        except Exception:
            logger.exception("simulator failed on %s %s", self.command, parts.path)
            outcome = Outcome(500, b'{"error":"Internal server error"}')
        try:
            self._write(outcome)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (e.g. timed out on a slow page)
            logger.debug("client left before the response to %s %s", self.command, parts.path)
            self.close_connection = True

    def _write(self, outcome: Outcome) -> None:
        self.send_response(outcome.status)
        self.send_header("Content-Type", outcome.content_type)
        self.send_header("Content-Length", str(len(outcome.body)))
        for name, value in outcome.headers:
            self.send_header(name, value)
        if outcome.truncate:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command == "HEAD":
            return
        if outcome.truncate:
            self.wfile.write(outcome.body[: max(1, len(outcome.body) // 2)])
            self.wfile.flush()
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_WR)
            return
        self.wfile.write(outcome.body)

    do_GET = _dispatch
    do_POST = _dispatch
    do_PUT = _dispatch
    do_PATCH = _dispatch
    do_DELETE = _dispatch
    do_HEAD = _dispatch

"""The upload receiver: a small HTTP/1.1 server, beside granian, for the routes that take a
bid's bytes (docs/decisions/0705-upload-receiver.md).

It runs the same Django application (the same views, services, errors and receipts) and only
the paths ``UPLOAD_PATHS`` allows; the reverse proxy sends those paths here and everything else
to granian. Why a second server:

- an upload holds a thread while its body arrives, minutes from a weak link in Papua; in a
  process of their own, a hundred slow uploads cannot take the threads or the interpreter lock
  that pages need (tests/test_serve_slow_uploads.py);
- every body byte goes from the kernel straight into the ``bytes`` the service hashes and
  writes (one copy, ``BufferedReader.read`` into its result), where granian's WSGI body is
  copied twice and handed between threads: 20 concurrent uploads cost about a third less CPU
  per byte here (docs/bids.md#performance).

It is deliberately small, not a general web server: HTTP/1.1 with ``Content-Length`` bodies
and keep-alive, no TLS (the reverse proxy ends it), no chunked request bodies (the upload API
needs the length first and refuses them itself), strict header parsing that refuses what a
request-smuggling attempt needs (two lengths, a length beside ``Transfer-Encoding``, folded or
malformed header lines).
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import socket
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from http import HTTPStatus
from urllib.parse import unquote_to_bytes

# The upload routes (tangguh/bids/api.py, api_tus.py, api_redeposit.py); anything else here is
# a routing mistake of the reverse proxy, answered 404 with a code that says so.
# Segments are names and ids only, so no "." or ".." path can pass.
UPLOAD_PATHS = re.compile(r"^/api/v1/tenders/[\w-]+/bids/(?:mine(?:/[\w-]+)*|redeposit)$", re.ASCII)

MAX_LINE = 8192  # bytes in the request line or one header line (as nginx's default buffers)
MAX_HEADERS = 100
READ_BUFFER = 64 * 1024  # the connection's buffer; larger reads bypass it into their result
IDLE_TIMEOUT_S = 75  # a kept-alive connection with no new request
HEAD_DEADLINE_S = 30  # the request line and headers, from their first byte
BODY_TIMEOUT_S = 300  # a body that stops arriving for this long counts as the client gone
DEFAULT_THREADS = 64
LINGER_BYTES = 16 * 1024 * 1024  # read and drop at most this much of a refused body

_TOKEN = re.compile(rb"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
_REQUEST_LINE = re.compile(rb"^([A-Z]+) (\S+) HTTP/(1\.[01])\r?\n$")


class BadRequest(Exception):
    """A request this server will not interpret; answered 400 and the connection closed."""

    def __init__(self, code: str, detail: str, status: int = 400) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.status = status


class Body:
    """``wsgi.input``: exactly the declared ``Content-Length`` bytes of one request.

    ``read(n)`` of the connection's ``BufferedReader`` reads a large ``n`` straight into the
    ``bytes`` it returns. ``100 Continue`` goes out at the first read, so a client that asked
    for it sends nothing before the application has checked who it is and what it may upload.
    """

    def __init__(self, rfile, sock: socket.socket, length: int, expect_continue: bool) -> None:
        self._rfile = rfile
        self._sock = sock
        self.remaining = length
        self.continue_pending = expect_continue  # 100 Continue not sent yet

    def _ready(self) -> None:
        if self.continue_pending:
            self.continue_pending = False
            self._sock.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
            self._sock.settimeout(BODY_TIMEOUT_S)

    def read(self, size: int = -1) -> bytes:
        if self.remaining <= 0:
            return b""
        self._ready()
        size = self.remaining if size is None or size < 0 else min(size, self.remaining)
        data = self._rfile.read(size)
        self.remaining -= len(data)
        if len(data) < size:
            self.remaining = 0  # the client went away: what is left will never come
        return data

    def readline(self, size: int = -1) -> bytes:
        if self.remaining <= 0:
            return b""
        self._ready()
        limit = self.remaining if size is None or size < 0 else min(size, self.remaining)
        data = self._rfile.readline(limit)
        self.remaining -= len(data)
        return data

    def __iter__(self):
        while line := self.readline():
            yield line


class Request:
    def __init__(self) -> None:
        self.method = ""
        self.target = ""
        self.version = ""
        self.headers: list[tuple[str, str]] = []

    def header(self, name: str) -> list[str]:
        return [value for key, value in self.headers if key == name]


class DeadlineSocketIO(io.RawIOBase):
    """The socket's bytes for a ``BufferedReader``, with an optional deadline that bounds every
    ``recv`` (a per-call timeout alone lets a byte a minute go on for ever)."""

    def __init__(self, sock: socket.socket) -> None:
        super().__init__()
        self.sock = sock
        self.deadline: float | None = None

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self.deadline is not None:
            left = self.deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("deadline passed")
            self.sock.settimeout(left)
        return self.sock.recv_into(buffer)


def read_request(rfile, raw: DeadlineSocketIO | None = None) -> Request | None:
    """The request line and headers, or None when the client closed between requests.

    Once the first byte is in, the whole head must arrive within ``HEAD_DEADLINE_S``: a client
    sending a byte a minute would otherwise hold a thread for ever (slowloris).
    """
    if not rfile.peek(1):
        return None
    if raw is not None:
        raw.deadline = time.monotonic() + HEAD_DEADLINE_S
    try:
        return _read_head(rfile)
    except TimeoutError:
        raise BadRequest("http.head_timeout", "The request head came too slowly.", 408) from None
    finally:
        if raw is not None:
            raw.deadline = None


def _read_head(rfile) -> Request | None:
    line = rfile.readline(MAX_LINE + 1)
    while line in (b"\r\n", b"\n"):  # RFC 9112 2.2: ignore empty lines before a request
        line = rfile.readline(MAX_LINE + 1)
    if not line:
        return None
    if len(line) > MAX_LINE:
        raise BadRequest("http.uri_too_long", "Request line too long.", 414)
    match = _REQUEST_LINE.match(line)
    if match is None:
        raise BadRequest("http.bad_request_line", "Malformed request line.")
    request = Request()
    request.method = match.group(1).decode("ascii")
    request.target = match.group(2).decode("latin-1")
    request.version = "HTTP/" + match.group(3).decode("ascii")
    while True:
        line = rfile.readline(MAX_LINE + 1)
        if not line:
            raise BadRequest("http.incomplete", "The connection closed inside the headers.")
        if len(line) > MAX_LINE:
            raise BadRequest("http.header_too_long", "Header line too long.", 431)
        if line in (b"\r\n", b"\n"):
            return request
        if line[:1] in (b" ", b"\t"):
            raise BadRequest("http.obsolete_folding", "Folded header lines are not accepted.")
        name, sep, value = line.partition(b":")
        if not sep or not _TOKEN.match(name):
            raise BadRequest("http.bad_header", "Malformed header line.")
        if len(request.headers) >= MAX_HEADERS:
            raise BadRequest("http.too_many_headers", "Too many header lines.", 431)
        request.headers.append(
            (name.decode("ascii").lower(), value.strip(b" \t\r\n").decode("latin-1"))
        )


def body_length(request: Request) -> tuple[int, bool]:
    """(bytes of body to read, whether the body is framed so that the connection can be kept).

    A request with ``Transfer-Encoding`` reaches the application with no body, so it answers
    with its own error (the upload API needs the length first), and the connection closes.
    """
    lengths = set(request.header("content-length"))
    encoding = request.header("transfer-encoding")
    if encoding and lengths:
        raise BadRequest(
            "http.length_and_encoding", "Content-Length beside Transfer-Encoding (RFC 9112 6.3)."
        )
    if encoding:
        return 0, False
    if not lengths:
        return 0, True
    if len(lengths) > 1:
        raise BadRequest("http.conflicting_length", "More than one Content-Length.")
    text = lengths.pop().strip()
    if not text.isdigit():
        raise BadRequest("http.bad_length", "Content-Length is not a number.")
    return int(text), True


def wsgi_environ(
    request: Request, body: Body, sock: socket.socket, server: tuple[str, int]
) -> dict:
    path, _, query = request.target.partition("?")
    peer = sock.getpeername()
    environ = {
        "REQUEST_METHOD": request.method,
        "SCRIPT_NAME": "",
        # PEP 3333: the decoded path as bytes carried in latin-1
        "PATH_INFO": unquote_to_bytes(path).decode("latin-1"),
        "QUERY_STRING": query,
        "SERVER_NAME": server[0],
        "SERVER_PORT": str(server[1]),
        "SERVER_PROTOCOL": request.version,
        "REMOTE_ADDR": peer[0] if isinstance(peer, tuple) else "",
        "REMOTE_PORT": str(peer[1]) if isinstance(peer, tuple) else "",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": body,
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    for name, value in request.headers:
        if "_" in name:
            continue  # X_Forwarded_For would pass for X-Forwarded-For: drop it (as nginx does)
        if name == "content-type":
            environ["CONTENT_TYPE"] = value
        elif name == "content-length":
            environ["CONTENT_LENGTH"] = value
        else:
            key = "HTTP_" + name.upper().replace("-", "_")
            environ[key] = f"{environ[key]},{value}" if key in environ else value
    return environ


def _response_head(status: str, headers: Iterable[tuple[str, str]]) -> bytes:
    lines = [f"HTTP/1.1 {status}"] + [f"{name}: {value}" for name, value in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def error_response(code: str, detail: str, status: int) -> bytes:
    """Our API's error shape (tangguh/core/errors.py) for what the application never saw."""
    body = json.dumps({"code": code, "detail": detail}).encode()
    reason = HTTPStatus(status).phrase
    return (
        _response_head(
            f"{status} {reason}",
            [
                ("Content-Type", "application/json"),
                ("Content-Length", str(len(body))),
                ("Connection", "close"),
            ],
        )
        + body
    )


def _linger(sock: socket.socket) -> None:
    """Close gently: a client still sending a body we refused must first read our answer;
    closing with its bytes unread would reset the connection and lose the answer."""
    sock.shutdown(socket.SHUT_WR)
    sock.settimeout(2)
    drained = 0
    with contextlib.suppress(OSError):
        while drained < LINGER_BYTES and (chunk := sock.recv(READ_BUFFER)):
            drained += len(chunk)


class Receiver:
    """Accepts connections and serves each on one of ``threads`` long-lived threads (so that
    each keeps its database connection, ``CONN_MAX_AGE``)."""

    def __init__(
        self,
        app: Callable,
        host: str,
        port: int,
        *,
        threads: int = DEFAULT_THREADS,
    ) -> None:
        self.app = app
        # reuse_port: several receiver processes share the address, the kernel spreads the
        # connections between them (each has its own interpreter lock)
        self.listener = socket.create_server(
            (host, port),
            family=socket.AF_INET6 if ":" in host else socket.AF_INET,
            backlog=512,
            reuse_port=True,
        )
        self.address = self.listener.getsockname()[:2]
        self.pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="receiver")
        self._stopping = threading.Event()

    def serve_forever(self) -> None:
        self.listener.settimeout(0.5)
        while not self._stopping.is_set():
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                if self._stopping.is_set():
                    break
                raise
            conn.settimeout(None)
            self.pool.submit(self._connection, conn)

    def stop(self) -> None:
        self._stopping.set()
        with contextlib.suppress(OSError):
            self.listener.close()
        self.pool.shutdown(wait=True, cancel_futures=True)

    def _connection(self, sock: socket.socket) -> None:
        # OSError/ValueError: the client went away or closed on us, so there is no one to answer
        with contextlib.suppress(OSError, ValueError), sock:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with io.BufferedReader(DeadlineSocketIO(sock), READ_BUFFER) as rfile:
                while self._one_request(sock, rfile):
                    continue
                _linger(sock)

    def _one_request(self, sock: socket.socket, rfile) -> bool:
        """Serve one request; True when the connection may carry another."""
        sock.settimeout(IDLE_TIMEOUT_S)
        try:
            request = read_request(rfile, rfile.raw)
            if request is None:
                return False
            length, framed = body_length(request)
        except BadRequest as refused:
            sock.sendall(error_response(refused.code, refused.detail, refused.status))
            return False
        except TimeoutError:
            return False
        path = request.target.partition("?")[0]
        if not UPLOAD_PATHS.match(unquote_to_bytes(path).decode("latin-1")):
            sock.sendall(
                error_response(
                    "receiver.not_an_upload_path",
                    "This address takes only bid uploads; the reverse proxy sends other "
                    "paths to the node's main server.",
                    404,
                )
            )
            return False
        expect = any(v.lower() == "100-continue" for v in request.header("expect"))
        sock.settimeout(BODY_TIMEOUT_S)
        body = Body(rfile, sock, length, expect_continue=expect and length > 0)
        environ = wsgi_environ(request, body, sock, self.address)
        keep = (
            framed
            and request.version == "HTTP/1.1"
            and "close" not in ",".join(request.header("connection")).lower()
        )
        return self._respond(sock, environ, body, keep=keep, head=request.method == "HEAD")

    def _respond(self, sock, environ: dict, body: Body, *, keep: bool, head: bool) -> bool:
        started: list = []

        def start_response(status, headers, exc_info=None):
            if exc_info and started:
                raise exc_info[1].with_traceback(exc_info[2])
            started[:] = [status, list(headers)]
            return lambda data: chunks.append(data)  # the legacy write() callable

        chunks: list[bytes] = []
        try:
            result = self.app(environ, start_response)
            try:
                chunks.extend(result)  # the upload routes answer small JSON documents
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()  # Django's request_finished: connections and transactions tidied
        except Exception:  # the application failed outside Django's own handling
            traceback.print_exc(file=sys.stderr)
            failed = error_response("server.error", "Internal error; nothing was changed.", 500)
            sock.sendall(failed)
            return False
        status, headers = started
        payload = b"".join(chunks)
        # A body the application did not read all of would be taken for the next request.
        keep = keep and body.remaining == 0 and not body.continue_pending
        names = {name.lower() for name, _ in headers}
        if status[:3] in ("204", "304") or status[:1] == "1":
            # RFC 9110 8.6: no Content-Length, and no body, in these (tus PATCH answers 204)
            headers = [(n, v) for n, v in headers if n.lower() != "content-length"]
            payload = b""
        elif "content-length" not in names:
            headers.append(("Content-Length", str(len(payload))))
        if not keep:
            headers = [(n, v) for n, v in headers if n.lower() != "connection"]
            headers.append(("Connection", "close"))
        sock.sendall(_response_head(status, headers) + (b"" if head else payload))
        return keep


def serve_uploads(host: str, port: int, *, threads: int = DEFAULT_THREADS) -> None:
    """Serve the node's upload routes until interrupted (``tangguh receive``)."""
    from tangguh.wsgi import application

    receiver = Receiver(application, host, port, threads=threads)
    try:
        receiver.serve_forever()
    finally:
        receiver.stop()

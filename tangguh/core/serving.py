"""Serving the node with granian in WSGI mode (so uploads can stream ``wsgi.input``)."""

from __future__ import annotations

import os

from django.core.management.base import CommandError


def parse_addr(addr: str) -> tuple[str, int]:
    host, _, port = addr.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise CommandError(f"--addr: expected HOST:PORT, got {addr!r}")
    return host.strip("[]"), int(port)


DEFAULT_THREADS = 64


def serve(host: str, port: int, *, workers: int = 1, threads: int | None = None) -> None:
    from granian import Granian
    from granian.constants import Interfaces

    Granian(
        "tangguh.wsgi:application",
        address=host,
        port=port,
        interface=Interfaces.WSGI,
        workers=workers,
        # Each upload holds a thread while its body arrives, minutes from a weak link, and many
        # vendors upload in the last hour before a deadline; a thread waiting on the network
        # costs little, and granian starts them only when needed (tests/test_serve_slow_uploads).
        blocking_threads=threads or int(os.environ.get("TANGGUH_THREADS", str(DEFAULT_THREADS))),
        log_access=False,
    ).serve()

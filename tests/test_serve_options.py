"""``tangguh serve`` options: the address and the worker count, from the command line or the
environment (docs/operations.md)."""

import pytest
from django.core.management.base import CommandError

from tangguh.core.management.commands.serve import Command
from tangguh.core.serving import parse_addr


def _options(*argv: str) -> dict:
    return vars(Command().create_parser("tangguh", "serve").parse_args(list(argv)))


def test_workers_come_from_the_environment_unless_given(monkeypatch):
    monkeypatch.delenv("TANGGUH_WORKERS", raising=False)
    assert _options()["workers"] == 1
    monkeypatch.setenv("TANGGUH_WORKERS", "2")
    assert _options()["workers"] == 2
    assert _options("--workers", "3")["workers"] == 3


def test_an_address_needs_a_host_and_a_port():
    assert parse_addr("127.0.0.1:8000") == ("127.0.0.1", 8000)
    assert parse_addr("[::1]:8443") == ("::1", 8443)
    for bad in ("8000", "localhost:", "localhost:http", "localhost:70000"):
        with pytest.raises(CommandError, match="--addr"):
            parse_addr(bad)

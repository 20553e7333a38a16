"""Settings come from the environment, with safe embedded defaults; production refuses unsafe
settings."""

from __future__ import annotations

import stat
from datetime import UTC, datetime

import pytest

from tangguh.config import UnsafeConfiguration, load_config
from tangguh.domain.ocds.identifiers import valid_prefix


def test_defaults_are_an_embedded_production_node_in_wit(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = load_config({})
    assert config.env == "production"
    assert not config.is_sandbox
    assert config.data_dir == tmp_path / "var"
    assert config.database_url == f"sqlite:///{tmp_path / 'var' / 'tangguh.sqlite3'}"
    assert config.time_zone == "Asia/Jayapura"
    assert config.debug is False
    assert config.https is True
    assert config.clock_start is None
    assert config.signing_key_dir == tmp_path / "var" / "keys"
    # The default ocid prefix has the registered form: the node's releases validate as OCDS.
    assert config.ocds_prefix == "ocds-tgsbox"
    assert valid_prefix(config.ocds_prefix)


def test_secret_key_is_generated_once_into_the_data_dir_owner_only(tmp_path):
    first = load_config({"TANGGUH_DATA_DIR": str(tmp_path)})
    second = load_config({"TANGGUH_DATA_DIR": str(tmp_path)})
    key_file = tmp_path / "secret_key"
    assert first.secret_key == second.secret_key == key_file.read_text()
    assert len(first.secret_key) >= 50
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_environment_overrides_are_used(tmp_path):
    config = load_config(
        {
            "TANGGUH_DATA_DIR": str(tmp_path),
            "DATABASE_URL": "postgres://u:p@db.example:5432/tangguh",
            "TANGGUH_TIME_ZONE": "Asia/Makassar",
            "TANGGUH_SECRET_KEY": "s" * 64,
            "TANGGUH_ALLOWED_HOSTS": "lpse.mimikakab.go.id, 10.0.0.5",
            "TANGGUH_NODE_NAME": "LPSE Provinsi Papua Tengah",
            "TANGGUH_OCDS_PREFIX": "ocds-abc123",
            "TANGGUH_SIGNING_KEY_DIR": str(tmp_path / "shared-keys"),
        }
    )
    assert config.database_url.startswith("postgres://")
    assert config.time_zone == "Asia/Makassar"
    assert config.secret_key == "s" * 64
    assert config.allowed_hosts == ["lpse.mimikakab.go.id", "10.0.0.5"]
    assert config.node_name == "LPSE Provinsi Papua Tengah"
    assert config.ocds_prefix == "ocds-abc123"
    assert config.signing_key_dir == tmp_path / "shared-keys"
    assert not (tmp_path / "secret_key").exists()


@pytest.mark.parametrize(
    ("environ", "names"),
    [
        ({"TANGGUH_DEBUG": "1"}, "TANGGUH_DEBUG"),
        ({"TANGGUH_CLOCK": "2024-06-20T10:00:00+09:00"}, "TANGGUH_CLOCK"),
        ({"TANGGUH_ALLOWED_HOSTS": "*"}, "TANGGUH_ALLOWED_HOSTS"),
        ({"TANGGUH_SECRET_KEY": "short"}, "TANGGUH_SECRET_KEY"),
        ({"TANGGUH_TIME_ZONE": "Europe/Paris"}, "TANGGUH_TIME_ZONE"),
        ({"TANGGUH_TIME_ZONE": "Mars/Olympus"}, "TANGGUH_TIME_ZONE"),
        ({"TANGGUH_ENV": "staging"}, "TANGGUH_ENV"),
        ({"TANGGUH_HTTPS": "maybe"}, "TANGGUH_HTTPS"),
        ({"TANGGUH_OCDS_PREFIX": "ocds-tangguh"}, "TANGGUH_OCDS_PREFIX"),
        ({"TANGGUH_OCDS_PREFIX": "ocds-ABC123"}, "TANGGUH_OCDS_PREFIX"),
        ({"TANGGUH_OCDS_PREFIX": "tangguh"}, "TANGGUH_OCDS_PREFIX"),
    ],
)
def test_production_refuses_unsafe_or_unusable_settings(tmp_path, environ, names):
    with pytest.raises(UnsafeConfiguration, match=names):
        load_config({"TANGGUH_DATA_DIR": str(tmp_path), **environ})


def test_only_a_sandbox_accepts_a_shifted_clock_and_debug(tmp_path):
    config = load_config(
        {
            "TANGGUH_DATA_DIR": str(tmp_path),
            "TANGGUH_ENV": "sandbox",
            "TANGGUH_CLOCK": "2024-06-20T10:00:00+09:00",
            "TANGGUH_DEBUG": "1",
        }
    )
    assert config.is_sandbox
    assert config.clock_start == datetime(2024, 6, 20, 1, 0, tzinfo=UTC)
    assert config.debug is True
    assert config.https is False


def test_a_clock_without_offset_is_refused_even_in_a_sandbox(tmp_path):
    with pytest.raises(UnsafeConfiguration, match="offset"):
        load_config(
            {
                "TANGGUH_DATA_DIR": str(tmp_path),
                "TANGGUH_ENV": "sandbox",
                "TANGGUH_CLOCK": "2024-06-20T10:00:00",
            }
        )


def test_sqlite_file_runs_in_wal_mode_with_durable_commits_and_a_busy_timeout(
    tmp_path, django_db_blocker
):
    from django.db.backends.sqlite3.base import DatabaseWrapper

    from tangguh.settings import _database

    settings_dict = _database(f"sqlite:///{tmp_path / 'node.sqlite3'}")
    settings_dict.setdefault("TIME_ZONE", None)
    settings_dict.setdefault("CONN_HEALTH_CHECKS", False)
    settings_dict.setdefault("AUTOCOMMIT", True)
    wrapper = DatabaseWrapper(settings_dict, alias="probe")
    try:
        with django_db_blocker.unblock(), wrapper.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode")
            journal = cursor.fetchone()[0]
            cursor.execute("PRAGMA synchronous")
            synchronous = cursor.fetchone()[0]
            cursor.execute("PRAGMA busy_timeout")
            busy = cursor.fetchone()[0]
    finally:
        wrapper.close()
    assert journal == "wal"
    assert synchronous == 2  # FULL: a committed write survives a power cut
    assert busy >= 30000
    assert settings_dict["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


def test_a_sandbox_may_try_an_unregistered_prefix_but_production_may_not(tmp_path):
    """A sandbox experimenting with another prefix form is let through (its data is not
    published); production refuses it, since every ocid it made would fail OCDS validation."""
    environ = {"TANGGUH_DATA_DIR": str(tmp_path), "TANGGUH_OCDS_PREFIX": "ocds-tangguh"}
    sandbox = load_config({**environ, "TANGGUH_ENV": "sandbox"})
    assert sandbox.ocds_prefix == "ocds-tangguh"
    with pytest.raises(UnsafeConfiguration, match="ocds-tangguh"):
        load_config(environ)
    registered = load_config({**environ, "TANGGUH_OCDS_PREFIX": "ocds-a1b2c3"})
    assert registered.ocds_prefix == "ocds-a1b2c3"

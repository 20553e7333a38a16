"""Loaded with ``-p tangguh.testing.pytest_env`` before Django's settings are read, so the
suite runs as a sandbox node in a throwaway data directory (DATABASE_URL, when set, wins)."""

import os
import tempfile

os.environ.setdefault("TANGGUH_ENV", "sandbox")
os.environ.setdefault("TANGGUH_DATA_DIR", tempfile.mkdtemp(prefix="tangguh-test-"))
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

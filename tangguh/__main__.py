"""The ``tangguh`` command: Django's manage command with Tangguh's settings.

``tangguh demo`` makes the process a sandbox node before settings load, so the demo can never
run with production signing semantics, and ``--data`` chooses the data directory.
"""

from __future__ import annotations

import os
import sys


def _prepare_demo_environment(argv: list[str]) -> None:
    os.environ["TANGGUH_ENV"] = "sandbox"
    for index, arg in enumerate(argv):
        if arg == "--data" and index + 1 < len(argv):
            os.environ["TANGGUH_DATA_DIR"] = argv[index + 1]
        elif arg.startswith("--data="):
            os.environ["TANGGUH_DATA_DIR"] = arg.split("=", 1)[1]


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    if len(argv) > 1 and argv[1] == "demo":
        _prepare_demo_environment(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tangguh.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(argv)


if __name__ == "__main__":
    main()

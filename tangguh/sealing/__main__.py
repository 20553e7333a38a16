"""``python -m tangguh.sealing seal|keys …``: sealing without Django (see ``cli``)."""

import sys

from tangguh.sealing.cli import main

sys.exit(main())

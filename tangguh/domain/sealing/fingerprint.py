"""A short fingerprint of an age recipient that people compare by eye or over the phone.

The fingerprint is the first 12 bytes (96 bits) of SHA-256 over the recipient's ASCII text,
as lower-case hex in six groups of four: ``3f0c 9a1e 77b2 d405 c1e8 0b6f``. Printed on the
announcement, in open data and on receipts, it lets a vendor check through a second channel
that the recipient they seal to is the tender's. 96 bits keep a forged recipient with the same
fingerprint out of reach (a second preimage costs about 2^96 work) while staying readable.
"""

from __future__ import annotations

import hashlib
import re

from tangguh.domain.sealing.keys import parse_recipient

FINGERPRINT_BYTES = 12


def recipient_fingerprint(recipient: str, *, separator: str = " ") -> str:
    """The fingerprint of an ``age1…`` recipient (``KeyFormatError`` if it is not one)."""
    recipient = recipient.strip()
    parse_recipient(recipient)
    digest = hashlib.sha256(recipient.encode("ascii")).hexdigest()[: FINGERPRINT_BYTES * 2]
    return separator.join(digest[i : i + 4] for i in range(0, len(digest), 4))


def normalize_fingerprint(text: str) -> str:
    """``text`` as bare lower-case hex: spaces, dashes and colons dropped, case folded."""
    return re.sub(r"[\s:\-]", "", text).lower()


def fingerprint_matches(recipient: str, text: str) -> bool:
    """Whether ``text`` (as a person might type it) is the fingerprint of ``recipient``."""
    return normalize_fingerprint(text) == recipient_fingerprint(recipient, separator="")

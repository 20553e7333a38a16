"""Generated passphrases for members' key kits: never chosen by a person, never sent.

``words.txt`` is the BIP-39 English word list (2048 words, MIT licence, from the ``mnemonic``
reference implementation by SatoshiLabs): every word is unique in its first four letters, so a
member who types a word short or misspelt is still understood. Seven words carry 77 bits; the
browser (``frontend/src``) draws from the same file.
"""

from __future__ import annotations

import secrets
from functools import cache
from importlib import resources

PASSPHRASE_WORDS = 7  # SPEC.md asks for six or more; 7 words of 11 bits = 77 bits


@cache
def word_list() -> tuple[str, ...]:
    text = resources.files(__package__).joinpath("words.txt").read_text(encoding="ascii")
    words = tuple(w for w in text.split() if w)
    assert len(words) == 2048  # noqa: S101 (a packaging error, not user input)
    return words


def new_passphrase(words: int = PASSPHRASE_WORDS) -> str:
    """``words`` words drawn uniformly with the OS's CSPRNG, joined by hyphens."""
    if words < 6:
        raise ValueError("a key-kit passphrase has at least six words")
    pool = word_list()
    return "-".join(secrets.choice(pool) for _ in range(words))

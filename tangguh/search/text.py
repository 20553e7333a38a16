"""How text becomes search tokens: one function for what is indexed and what is asked.

Both databases get the same, already normalized text, so they agree on what a word is:
case folded, diacritics removed, and every character that is not a letter or a digit turned
into a space ("Barang/Jasa" is two words; PostgreSQL's parser would otherwise keep
"barang/jasa" as one file-path token, and "SP-2" as a hyphenated compound). No stemming:
Indonesian affixes are not English ones, and a word the user typed should match that word.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal

_NOT_A_WORD = re.compile(r"[\W_]+")

MAX_WORDS = 8
MAX_WORD_LENGTH = 40

# Row keys: unique integers in search order, newest bid deadline first, so "latest deadline
# first" is "lowest key first", the order in which FTS5 and a B-tree stream rows (FTS5 walks
# posting lists backwards only by loading them whole). The high 33 bits are the deadline in
# seconds counted down from 2^33 (year 2242), the low 30 bits the tender id counted down.
KEY_SHIFT = 30
_SECONDS_LIMIT = 1 << 33
_ID_LIMIT = 1 << KEY_SHIFT


def normalize(text: str) -> str:
    """Lower case, no diacritics, words separated by single spaces."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(_NOT_A_WORD.sub(" ", stripped.casefold()).split())


def words(query: str) -> list[str]:
    """The distinct words of a query, in order, each at most ``MAX_WORD_LENGTH`` long."""
    seen: list[str] = []
    for word in normalize(query).split():
        word = word[:MAX_WORD_LENGTH]
        if word not in seen:
            seen.append(word)
    return seen


def category_tag(category: str) -> str:
    return "k" + category.replace("_", "")


def agency_tag(agency_id: int) -> str:
    return f"a{agency_id}"


def work_unit_tag(work_unit_id: int) -> str:
    return f"u{work_unit_id}"


def year_tag(fiscal_year: int) -> str:
    return f"y{fiscal_year}"


CANCELLED_TAG = "xcancelled"


def tags(
    *, category: str, agency_id: int, work_unit_id: int, fiscal_year: int, cancelled: bool
) -> str:
    """Filter values as tokens, so a text query and its filters are one index lookup."""
    values = [
        category_tag(category),
        agency_tag(agency_id),
        work_unit_tag(work_unit_id),
        year_tag(fiscal_year),
    ]
    if cancelled:
        values.append(CANCELLED_TAG)
    return " ".join(values)


def sort_key(deadline_epoch_seconds: int, tender_id: int) -> int:
    """The row key: ascending keys are (deadline descending, tender id descending)."""
    if not 0 < tender_id < _ID_LIMIT:
        raise ValueError("tender id out of range for a search key")
    if not 0 <= deadline_epoch_seconds < _SECONDS_LIMIT:
        raise ValueError("deadline out of range for a search key")
    return ((_SECONDS_LIMIT - 1 - deadline_epoch_seconds) << KEY_SHIFT) | (_ID_LIMIT - tender_id)


def keys_with_deadline_from(epoch_seconds: int) -> int:
    """Keys below this bound have a deadline at or after that second (exclusive bound)."""
    return (_SECONDS_LIMIT - epoch_seconds) << KEY_SHIFT


def keys_with_deadline_until(epoch_seconds: int) -> int:
    """Keys at or above this bound have a deadline at or before that second."""
    return (_SECONDS_LIMIT - 1 - epoch_seconds) << KEY_SHIFT


def in_title(query_words: list[str], title_words: str) -> bool:
    """Whether every word is in the title (and code): the first tier of relevance, before the
    matches that hold some word only in the agency, work unit, location or category name."""
    title = set(title_words.split())
    return all(word in title for word in query_words)


def money(value: Decimal) -> str:
    return format(value.quantize(Decimal("0.01")), "f")

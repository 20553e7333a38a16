"""The integrity pact (Pakta Integritas) a vendor's user accepts when registering for a tender.

Perpres 16/2018 Ps 1 defines it (a pledge to prevent and not commit collusion, corruption and
nepotism in the procurement); Ps 7 sets the ethics it restates. The clauses follow
the standard tender document. The text is rendered for one person, company and tender, and the
participation keeps the SHA-256 of exactly the text shown, so what was accepted can be proved.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

PACT_VERSION = "perpres-16-2018/1"

_TEMPLATE = """PAKTA INTEGRITAS

Saya yang bertanda tangan di bawah ini, {person}, bertindak untuk dan atas nama {company}
(NIB {nib}), dalam rangka pemilihan {tender_code} "{tender_title}", dengan ini menyatakan bahwa
saya:

1. tidak akan melakukan praktik Korupsi, Kolusi, dan Nepotisme (KKN);
2. akan melaporkan kepada PA/KPA/APIP jika mengetahui ada indikasi KKN di dalam proses
   pengadaan ini;
3. akan mengikuti proses pengadaan secara bersih, transparan, dan profesional untuk memberikan
   hasil kerja terbaik sesuai ketentuan peraturan perundang-undangan; dan
4. apabila melanggar hal-hal yang dinyatakan dalam angka 1, 2 dan/atau 3, bersedia menerima
   sanksi administratif, menerima sanksi pencantuman dalam Daftar Hitam, digugat secara perdata
   dan/atau dilaporkan secara pidana.

(Versi {version})
"""


@dataclass(frozen=True)
class PactText:
    version: str
    text: str
    sha256: str


def pact_render(
    *, person: str, company: str, nib: str, tender_code: str, tender_title: str
) -> PactText:
    """The pact for one person acting for one company in one tender, and its SHA-256."""
    text = _TEMPLATE.format(
        person=person.strip(),
        company=company.strip(),
        nib=nib,
        tender_code=tender_code,
        tender_title=tender_title.strip(),
        version=PACT_VERSION,
    )
    return PactText(PACT_VERSION, text, hashlib.sha256(text.encode("utf-8")).hexdigest())

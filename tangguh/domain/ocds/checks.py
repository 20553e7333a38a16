"""Checks the OCDS schema cannot make, run on every release we publish or validate:

- every organization referenced (buyer, procuring entity, tenderers, award suppliers, bid
  tenderers) is in ``parties`` under the same id and name, holding the matching role;
- award suppliers are among the tender's tenderers (an award to someone who did not bid);
- every amount is in rupiah (IDR), a whole number, not negative;
- ids and dates have the forms OCDS requires (ocid with a registered prefix form, release id
  without ``#`` and unique within its ocid, every date RFC 3339 with a zone);
- no personal data (``personal_data.findings``).

Each problem is one line naming the release and the JSON path.
"""

from __future__ import annotations

from collections.abc import Iterable

from tangguh.domain.ocds.identifiers import OCID_PATTERN, RFC3339_PATTERN
from tangguh.domain.ocds.personal_data import findings

DATE_FIELDS = {"date", "startDate", "endDate", "datePublished", "dateModified", "dateSigned"}


def _references(release: dict) -> Iterable[tuple[str, dict, str]]:
    """(path, reference, role the party must hold) for every organization reference."""
    if isinstance(release.get("buyer"), dict):
        yield "/buyer", release["buyer"], "buyer"
    tender = release.get("tender") or {}
    if isinstance(tender.get("procuringEntity"), dict):
        yield "/tender/procuringEntity", tender["procuringEntity"], "procuringEntity"
    for i, tenderer in enumerate(tender.get("tenderers") or []):
        yield f"/tender/tenderers/{i}", tenderer, "tenderer"
    for a, award in enumerate(release.get("awards") or []):
        for s, supplier in enumerate(award.get("suppliers") or []):
            yield f"/awards/{a}/suppliers/{s}", supplier, "supplier"
    for b, detail in enumerate((release.get("bids") or {}).get("details") or []):
        for t, tenderer in enumerate(detail.get("tenderers") or []):
            yield f"/bids/details/{b}/tenderers/{t}", tenderer, "tenderer"


def _amounts(value: object, path: str) -> Iterable[tuple[str, dict]]:
    if isinstance(value, dict):
        if "amount" in value and "currency" in value:
            yield path, value
        for key, item in value.items():
            yield from _amounts(item, f"{path}/{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _amounts(item, f"{path}/{index}")


def _dates(value: object, path: str) -> Iterable[tuple[str, object]]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key in DATE_FIELDS and not isinstance(item, (dict, list)):
                yield f"{path}/{key}", item
            else:
                yield from _dates(item, f"{path}/{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _dates(item, f"{path}/{index}")


def release_problems(release: dict) -> list[str]:
    """What is wrong with one release beyond the schema (empty when nothing is)."""
    name = f"{release.get('ocid')}/{release.get('id')}"
    problems = []
    ocid, rid = release.get("ocid"), release.get("id")
    if not isinstance(ocid, str) or not OCID_PATTERN.match(ocid):
        problems.append(f"{name}: ocid {ocid!r} is not ocds-<6 letters or digits>-<id>")
    if not isinstance(rid, str) or not rid or "#" in rid:
        problems.append(f"{name}: release id {rid!r} is empty or contains '#'")
    parties = {p.get("id"): p for p in release.get("parties") or [] if isinstance(p, dict)}
    for path, ref, role in _references(release):
        party = parties.get(ref.get("id"))
        if party is None:
            problems.append(f"{name}{path}: {ref.get('id')!r} is not among the parties")
            continue
        if ref.get("name") and party.get("name") != ref.get("name"):
            problems.append(f"{name}{path}: name differs from party {ref.get('id')!r}")
        if role not in (party.get("roles") or []):
            problems.append(f"{name}{path}: party {ref.get('id')!r} lacks the role {role}")
    tenderers = {t.get("id") for t in (release.get("tender") or {}).get("tenderers") or []}
    tenderers |= {pid for pid, p in parties.items() if "tenderer" in (p.get("roles") or [])}
    for a, award in enumerate(release.get("awards") or []):
        for s, supplier in enumerate(award.get("suppliers") or []):
            if supplier.get("id") not in tenderers:
                problems.append(
                    f"{name}/awards/{a}/suppliers/{s}: {supplier.get('id')!r} is not a tenderer"
                )
    for path, amount in _amounts(release, ""):
        if amount.get("currency") != "IDR":
            problems.append(f"{name}{path}: currency {amount.get('currency')!r} is not IDR")
        number = amount.get("amount")
        if isinstance(number, bool) or not isinstance(number, int) or number < 0:
            problems.append(f"{name}{path}: amount {number!r} is not whole, non-negative rupiah")
    for path, moment in _dates(release, ""):
        if not isinstance(moment, str) or not RFC3339_PATTERN.match(moment):
            problems.append(f"{name}{path}: {moment!r} is not an RFC 3339 date-time with zone")
    problems.extend(
        f"{name}{f.path}: personal data ({f.kind}) must not be published" for f in findings(release)
    )
    return problems


def package_problems(releases: Iterable[dict]) -> list[str]:
    """``release_problems`` of each release, and release ids repeated within an ocid."""
    problems, seen = [], set()
    for release in releases:
        problems.extend(release_problems(release))
        key = (release.get("ocid"), release.get("id"))
        if key in seen:
            problems.append(f"{key[0]}/{key[1]}: release id repeated within the ocid")
        seen.add(key)
    return problems

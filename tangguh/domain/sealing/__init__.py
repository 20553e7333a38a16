"""Sealed bids, the pure part: sealing keys, their Shamir shares, fingerprints, age file checks.

Modules:

- ``keys``: a 16-byte seed → HKDF-SHA256 → the X25519 identity and recipient of one
  (tender, lot, envelope), in age's Bech32 spelling (``AGE-SECRET-KEY-1…``, ``age1…``).
- ``shares``: the seed split into *n* Shamir shares with threshold *k*, each a small JSON
  document with a SHA-256 commitment; combining checks commitments and names a bad share.
- ``fingerprint``: a short, human-comparable fingerprint of a recipient.
- ``agefile``: a streaming structural check of an age v1 file (one X25519 stanza, no scrypt).

No Django, no network, no file system: callers hand in bytes, strings and file-like objects.
docs/sealing.md describes the formats; docs/decisions/0501 the choices behind them.
"""

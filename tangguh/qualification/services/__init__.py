"""Writes to qualification profiles: items (``items``), their documents (``documents``) and the
verifier's decisions (``verification``)."""

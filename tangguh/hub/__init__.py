"""National services behind adapters: an outbox for what the node sends (OCDS releases and
signed checkpoints to the open-data hub), local copies of what it reads (blacklist, vendor
registry, RUP, the trust list of node keys), and vendor credentials that other nodes verify
offline. A tender never waits on any of it (docs/decisions/0704-adapters-outbox-credentials.md).
"""

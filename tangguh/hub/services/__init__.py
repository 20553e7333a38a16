"""Hub services: the outbox (``outbox``), pulls into local copies (``pull``), the trust list
(``trust``), vendor credentials (``credentials``) and adapter health (``state``)."""

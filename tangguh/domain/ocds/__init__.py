"""Open Contracting Data Standard 1.1 from plain facts: identifiers, the mapping of each
release kind, packages, merge rules, and the checks the schema cannot make (cross-references,
rupiah amounts, dates, personal data). Pure: no Django, no network."""

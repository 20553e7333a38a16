"""ocdsmerge's merge rules for the OCDS 1.1.5 release schema with the bids and lots extensions
v1.1.5, derived once with ``ocdsmerge.rules.get_merge_rules`` from the official merged schema
(``release-schema-1__1__5+bids+lots.json``). Kept here so a node compiles records with no
schema download (nothing central on the critical path, SPEC "Why it exists"); a test derives
them again from the official files when ``TANGGUH_OCDS_SCHEMA_DIR`` is set and compares.
"""

from __future__ import annotations

OMIT_WHEN_MERGED = "omitWhenMerged"
WHOLE_LIST_MERGE = "wholeListMerge"

MERGE_RULES: dict[tuple[str, ...], str] = {
    ("awards", "amendment", "changes"): WHOLE_LIST_MERGE,
    ("awards", "amendments", "changes"): WHOLE_LIST_MERGE,
    ("awards", "documents", "relatedLots"): WHOLE_LIST_MERGE,
    ("awards", "items", "additionalClassifications"): WHOLE_LIST_MERGE,
    ("awards", "relatedLots"): WHOLE_LIST_MERGE,
    ("awards", "suppliers", "additionalIdentifiers"): WHOLE_LIST_MERGE,
    ("bids", "details", "documents", "relatedLots"): WHOLE_LIST_MERGE,
    ("bids", "details", "relatedLots"): WHOLE_LIST_MERGE,
    ("bids", "details", "tenderers", "additionalIdentifiers"): WHOLE_LIST_MERGE,
    ("buyer", "additionalIdentifiers"): WHOLE_LIST_MERGE,
    ("contracts", "amendment", "changes"): WHOLE_LIST_MERGE,
    ("contracts", "amendments", "changes"): WHOLE_LIST_MERGE,
    ("contracts", "documents", "relatedLots"): WHOLE_LIST_MERGE,
    ("contracts", "implementation", "documents", "relatedLots"): WHOLE_LIST_MERGE,
    ("contracts", "implementation", "milestones", "documents", "relatedLots"): WHOLE_LIST_MERGE,
    ("contracts", "implementation", "milestones", "relatedLots"): WHOLE_LIST_MERGE,
    (
        "contracts",
        "implementation",
        "transactions",
        "payee",
        "additionalIdentifiers",
    ): WHOLE_LIST_MERGE,
    (
        "contracts",
        "implementation",
        "transactions",
        "payer",
        "additionalIdentifiers",
    ): WHOLE_LIST_MERGE,
    ("contracts", "items", "additionalClassifications"): WHOLE_LIST_MERGE,
    ("contracts", "milestones", "documents", "relatedLots"): WHOLE_LIST_MERGE,
    ("contracts", "milestones", "relatedLots"): WHOLE_LIST_MERGE,
    ("contracts", "relatedProcesses", "relationship"): WHOLE_LIST_MERGE,
    ("date",): OMIT_WHEN_MERGED,
    ("id",): OMIT_WHEN_MERGED,
    ("parties", "additionalIdentifiers"): WHOLE_LIST_MERGE,
    ("parties", "roles"): WHOLE_LIST_MERGE,
    ("planning", "documents", "relatedLots"): WHOLE_LIST_MERGE,
    ("planning", "milestones", "documents", "relatedLots"): WHOLE_LIST_MERGE,
    ("planning", "milestones", "relatedLots"): WHOLE_LIST_MERGE,
    ("relatedProcesses", "relationship"): WHOLE_LIST_MERGE,
    ("tag",): OMIT_WHEN_MERGED,
    ("tender", "additionalProcurementCategories"): WHOLE_LIST_MERGE,
    ("tender", "amendment", "changes"): WHOLE_LIST_MERGE,
    ("tender", "amendments", "changes"): WHOLE_LIST_MERGE,
    ("tender", "documents", "relatedLots"): WHOLE_LIST_MERGE,
    ("tender", "items", "additionalClassifications"): WHOLE_LIST_MERGE,
    ("tender", "lotGroups", "relatedLots"): WHOLE_LIST_MERGE,
    ("tender", "milestones", "documents", "relatedLots"): WHOLE_LIST_MERGE,
    ("tender", "milestones", "relatedLots"): WHOLE_LIST_MERGE,
    ("tender", "procuringEntity", "additionalIdentifiers"): WHOLE_LIST_MERGE,
    ("tender", "submissionMethod"): WHOLE_LIST_MERGE,
    ("tender", "tenderers", "additionalIdentifiers"): WHOLE_LIST_MERGE,
}

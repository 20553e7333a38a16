"""docs/rules.md is generated from the rule-set code and must not go stale."""

from pathlib import Path

from tangguh.domain.rules_doc import render
from tangguh.domain.rulesets import RULESETS

RULES_MD = Path(__file__).resolve().parents[2] / "docs" / "rules.md"


def test_docs_rules_md_is_up_to_date():
    assert RULES_MD.read_text(encoding="utf-8") == render(), (
        "docs/rules.md is stale: run `python -m tangguh.domain.rules_doc > docs/rules.md`"
    )


def test_every_rule_of_every_rule_set_is_listed():
    text = render()
    for ruleset in RULESETS:
        assert ruleset.title in text
        for item in ruleset.values:
            assert f"`{item.key}`" in text

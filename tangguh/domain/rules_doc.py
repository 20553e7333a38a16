"""Generate docs/rules.md from the rule-set code: every value with day type, confidence, source.

Run ``python -m tangguh.domain.rules_doc > docs/rules.md``; a test fails when the file is stale.
"""

from __future__ import annotations

import sys

from tangguh.domain.methods import Method
from tangguh.domain.rule_values import RuleValue
from tangguh.domain.rulesets import RULESETS, RuleSet
from tangguh.domain.stage_templates import Bound, template_for

HEADER = """# Rules encoded in Tangguh

Generated from `tangguh/domain/rulesets.py` and `tangguh/domain/stage_templates.py` by
`python -m tangguh.domain.rules_doc > docs/rules.md`. Do not edit by hand; a test fails when this
file is stale. Confidence: **V** read in the regulation or standard document text; **S**
secondary source quoting it; **D** our default, node-configurable. A tender keeps the rule set in
force when it was announced.
"""


def _value(item: RuleValue) -> str:
    if item.unit == "rupiah":
        return "Rp" + f"{int(item.value):,}".replace(",", ".")
    if item.unit == "percent":
        return f"{item.value}%"
    return f"{item.value} {item.unit}"


def _ruleset_section(ruleset: RuleSet) -> list[str]:
    lines = [
        f"## {ruleset.title}",
        "",
        f"Code `{ruleset.code}`, in force from {ruleset.in_force_from.isoformat()} "
        f"({ruleset.in_force_source}).",
        "",
        "| rule | value | day type | conf. | source | meaning |",
        "|---|---|---|---|---|---|",
    ]
    for item in ruleset.values:
        lines.append(
            f"| `{item.key}` | {_value(item)} | {item.day_type} | {item.confidence} | "
            f"{item.source} | {item.description} |"
        )
    lines.append("")
    return lines


def _template_section(method: Method) -> list[str]:
    template = template_for(method)
    lines = [f"### {method.label_id} (`{method}`)", "", f"Source: {template.source}.", ""]
    lines += ["| # | stage | starts after | default length | ends on working moment |"]
    lines += ["|---|---|---|---|---|"]
    for number, spec in enumerate(template.stages, start=1):
        after = " / ".join(f"{p.stage} {p.edge}" for p in spec.after) or "announcement moment"
        optional = " (optional)" if spec.optional else ""
        unit = "day" if spec.default_length == 1 else "days"
        length = f"{spec.default_length} {spec.length_day_type} {unit} (D)"
        working = "yes" if spec.kind.ends_on_working_moment else "no"
        lines.append(
            f"| {number} | {spec.kind.label_id}{optional} | {after} | {length} | {working} |"
        )
    lines += ["", "| code | rule | from | to |", "|---|---|---|---|"]
    for rule in template.rules:
        word = "at least" if rule.bound is Bound.MIN else "at most (warning)"
        if rule.bid_guarantee_only:
            word = f"only when a bid guarantee is required: {word}"
        frm = " or ".join(f"{p.stage} {p.edge}" for p in rule.frm)
        frm = f"latest of {frm}" if len(rule.frm) > 1 else frm
        lines.append(
            f"| `{rule.code}` | {word} `{rule.rule_key}` | {frm} | {rule.to.stage} {rule.to.edge} |"
        )
    lines.append("")
    return lines


def render() -> str:
    """The full text of docs/rules.md."""
    lines = [HEADER]
    for ruleset in RULESETS:
        lines += _ruleset_section(ruleset)
    lines += ["## Stage templates", ""]
    for method in Method:
        lines += _template_section(method)
    return "\n".join(lines).rstrip("\n") + "\n"


def main() -> None:
    """Write docs/rules.md to standard output."""
    sys.stdout.write(render())


if __name__ == "__main__":
    main()

"""``{% outage_decisions tender %}``: the decisions an outage asks of a tender's Pokja, with the
decision form for its members, on the Pokja's tender page and the public tender page."""

from django import template

from tangguh.outages.selectors import decision_row, decisions_for_tender
from tangguh.outages.services.decisions import allowed_choices
from tangguh.participation.selectors import is_committee_member

register = template.Library()


@register.inclusion_tag("outages/_decisions.html", takes_context=True)
def outage_decisions(context, tender):
    if tender is None:
        return {"decisions": []}
    request = context.get("request")
    user = getattr(request, "user", None)
    member = bool(user is not None and is_committee_member(user, tender))
    rows = []
    for decision in decisions_for_tender(tender):
        row = decision_row(decision)
        row["choices"] = [(c.value, c.label) for c in allowed_choices(decision)]
        rows.append(row)
    return {
        "decisions": rows,
        "member": member,
        "next": request.get_full_path() if request is not None else "/status",
        "csrf_token": context.get("csrf_token"),
        "LANGUAGE_CODE": context.get("LANGUAGE_CODE"),
    }

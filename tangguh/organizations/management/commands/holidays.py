"""``tangguh holidays add DATE --name TEXT | list [--year Y] | remove DATE --reason TEXT``: the
node's local days off from the shell. The operator of the node's shell already holds the node, so
these run without a login and are audited as ``cli``. National holidays and cuti bersama come
from the ``holidays`` package and are listed, never stored."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from tangguh import clock
from tangguh.core.calendar import node_calendar
from tangguh.core.errors import ServiceError
from tangguh.organizations.selectors import holidays_of_year
from tangguh.organizations.services import holiday_add_unchecked, holiday_remove_unchecked

ACTOR = "cli"


class Command(BaseCommand):
    help = (
        "Local days off. 'add DATE --name TEXT [--reason TEXT]' adds one; 'list [--year Y]' "
        "shows national holidays, cuti bersama and local days; 'remove DATE --reason TEXT'."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="add a local day off (YYYY-MM-DD)")
        add.add_argument("date")
        add.add_argument("--name", required=True)
        add.add_argument("--reason", default="")
        listed = sub.add_parser("list", help="days off of a year")
        listed.add_argument("--year", type=int)
        remove = sub.add_parser("remove", help="remove a local day off")
        remove.add_argument("date")
        remove.add_argument("--reason", required=True)

    def handle(self, *args, **options):
        try:
            getattr(self, "_" + options["action"])(options)
        except ServiceError as exc:
            field = f" [{exc.field}]" if exc.field else ""
            raise CommandError(f"{exc.code}{field}: {exc.message_en}") from exc

    def _add(self, options):
        holiday = holiday_add_unchecked(
            actor=ACTOR, day=options["date"], name=options["name"], reason=options["reason"]
        )
        self.stdout.write(f"added {holiday.day.isoformat()} {holiday.name}")

    def _list(self, options):
        year = options["year"] or node_calendar().local(clock.now()).year
        for row in holidays_of_year(year):
            self.stdout.write(f"{row['date'].isoformat()}  {row['kind']:<8}  {row['name']}")

    def _remove(self, options):
        day = holiday_remove_unchecked(actor=ACTOR, day=options["date"], reason=options["reason"])
        self.stdout.write(f"removed {day.isoformat()}")

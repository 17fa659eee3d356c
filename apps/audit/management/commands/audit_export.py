"""``manage.py audit_export --since DATE [--until DATE] [--tenant SLUG] [--output FILE]``."""

from datetime import UTC, datetime, time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from apps.audit.management import tenant_option
from apps.audit.selectors import audit_events_as_jsonl, audit_events_between


def parse_moment(value: str) -> datetime:
    """A date (midnight UTC) or an ISO 8601 date-time (UTC when it names no zone)."""
    moment = parse_datetime(value)
    if moment is None:
        day = parse_date(value)
        if day is None:
            raise ValueError(value)
        moment = datetime.combine(day, time.min)
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, UTC)
    return moment


class Command(BaseCommand):
    help = (
        "Write audit events with since <= time < until as JSON lines (stdout by default), "
        "oldest first, streamed from the database. Without --tenant: every chain."
    )

    def add_arguments(self, parser):
        parser.add_argument("--since", required=True, help="date or ISO date-time (inclusive)")
        parser.add_argument("--until", help="date or ISO date-time (exclusive)")
        parser.add_argument("--tenant", metavar="SLUG", help="only this tenant's events")
        parser.add_argument("--output", metavar="FILE", help="write here instead of stdout")

    def handle(self, *args, **options):
        try:
            since = parse_moment(options["since"])
            until = parse_moment(options["until"]) if options["until"] else None
        except ValueError as exc:
            raise CommandError(f"not a date or ISO date-time: {exc}") from exc
        events = audit_events_between(
            since=since, until=until, tenant=tenant_option(options["tenant"])
        )
        if options["output"]:
            with open(options["output"], "w", encoding="utf-8") as out:
                count = self._write(events, out.write)
            self.stderr.write(f"Exported {count} event(s) to {options['output']}.")
        else:
            self._write(events, self.stdout.write)

    @staticmethod
    def _write(events, write) -> int:
        count = 0
        for line in audit_events_as_jsonl(events):
            write(line)
            count += 1
        return count

"""``python manage.py reconcile import|match|post|sie|bank``: reconciliation from the command line.

Exit status 2 when a file cannot be read (one line per file naming it and the problem on stderr);
the other files are still imported. 1 for other failures (a payout that cannot be posted).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Q

from flows.models import Integration
from reconciliation import service
from reconciliation.bank import import_bank
from reconciliation.models import Payout
from reconciliation.parsing import ParseError
from reconciliation.posting import NotPostable, post_payout

MAX_FILE = 200 * 1024 * 1024


class Command(BaseCommand):
    help = "Import PSP payout files, match them to Visma invoices, post them, export SIE 4I."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import", help="import payout files and match them")
        imp.add_argument("--integration", type=int, required=True)
        imp.add_argument("--json", action="store_true", help="one JSON object per payout")
        imp.add_argument("files", nargs="+")
        match = sub.add_parser("match", help="match every payout line still open")
        match.add_argument("--integration", type=int)
        post = sub.add_parser("post", help="post one payout to Visma")
        post.add_argument("payout", help="payout id or reference")
        sie = sub.add_parser("sie", help="export SIE 4I for one payout or a period")
        sie.add_argument("payout", nargs="?")
        sie.add_argument("--from", dest="date_from", type=dt.date.fromisoformat)
        sie.add_argument("--to", dest="date_to", type=dt.date.fromisoformat)
        sie.add_argument("--integration", type=int)
        sie.add_argument("-o", "--output", required=True)
        bank = sub.add_parser("bank", help="import a bank statement and tick off payouts")
        bank.add_argument("--integration", type=int, required=True)
        bank.add_argument("file")

    def handle(self, *args, **options) -> None:
        getattr(self, f"do_{options['action']}")(options)

    # --- import -----------------------------------------------------------------------------------

    def _integration(self, pk: int) -> Integration:
        try:
            return Integration.objects.select_related("customer").get(pk=pk)
        except Integration.DoesNotExist:
            raise CommandError(f"no integration {pk}") from None

    def do_import(self, options) -> None:
        integration = self._integration(options["integration"])
        files, unreadable = [], []
        for name in options["files"]:
            path = Path(name)
            try:
                if path.stat().st_size > MAX_FILE:
                    raise OSError(f"larger than {MAX_FILE // (1024 * 1024)} MB")
                files.append((name, path.read_bytes()))
            except OSError as exc:
                unreadable.append(f"{name}: {exc.strerror or exc}")
        results = service.import_files(integration, files, source="cli")
        reports = []
        for result in results:
            if result.error:
                unreadable.append(result.error)
            elif result.already_imported:
                self.stderr.write(f"{result.name}: already imported; nothing imported")
            for reference in result.skipped:
                self.stderr.write(f"{result.name}: payout {reference} already imported; skipped")
            reports += [service.report(payout) for payout in result.payouts]
        if options["json"]:
            self.stdout.write(json.dumps([r.as_dict() for r in reports], ensure_ascii=False, indent=2))
        else:
            for r in reports:
                self.stdout.write(
                    f"{r.provider} {r.reference} {r.currency} {r.total}: {r.lines} lines, "
                    f"{r.duplicates} duplicate(s), {r.matched} matched"
                    + (f"; HELD: {r.held_reason}" if r.held_reason else "")
                )
                for u in r.unmatched:
                    self.stdout.write(
                        f"  row {u['line']} order {u['order'] or '-'} {u['amount']}: {u['reason']}"
                    )
        for line in unreadable:
            self.stderr.write(line)
        if unreadable:
            raise SystemExit(2)

    # --- match, post ------------------------------------------------------------------------------

    def do_match(self, options) -> None:
        integrations = Integration.objects.filter(payouts__isnull=False).distinct()
        if options["integration"]:
            integrations = integrations.filter(pk=options["integration"])
        for integration in integrations:
            summary = service.match(integration)
            self.stdout.write(
                f"{integration}: {summary.lines} line(s) looked at, {summary.matched} matched, "
                f"{summary.waiting} waiting, {summary.held} held"
                + (f" ({summary.error})" if summary.error else "")
            )

    def _payout(self, key: str, integration: int | None = None) -> Payout:
        qs = Payout.objects.select_related("integration__customer")
        if integration:
            qs = qs.filter(integration_id=integration)
        found = list(qs.filter(pk=int(key))) if key.isdigit() else []
        found = found or list(qs.filter(reference=key))
        if len(found) != 1:
            raise CommandError(f"payout {key!r}: {'not found' if not found else 'ambiguous, give its id'}")
        return found[0]

    def do_post(self, options) -> None:
        payout = self._payout(options["payout"])
        ledger = service.ledger_for(payout.integration)
        if ledger is None:
            raise CommandError(f"{payout}: no Visma agent configured; use `reconcile sie`")
        try:
            posting = post_payout(payout.pk, ledger)
        except NotPostable as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"{payout}: posted ({', '.join(f'{k} {v}' for k, v in posting.results.items())})")

    # --- sie, bank --------------------------------------------------------------------------------

    def do_sie(self, options) -> None:
        if options["payout"]:
            payouts = [self._payout(options["payout"], options["integration"])]
        else:
            if not (options["date_from"] and options["date_to"]):
                raise CommandError("give a payout, or --from and --to")
            # A foreign payout is converted at the bank's rate: only once it is in the bank.
            qs = (
                Payout.objects.filter(
                    payout_date__gte=options["date_from"], payout_date__lte=options["date_to"]
                )
                .filter(Q(currency="SEK") | Q(bank_amount__isnull=False))
                .exclude(status=Payout.Status.HELD)
            )
            if options["integration"]:
                qs = qs.filter(integration_id=options["integration"])
            payouts = list(qs.order_by("payout_date", "pk"))
            if len({p.integration_id for p in payouts}) > 1:
                raise CommandError("payouts of several integrations: give --integration")
        if not payouts:
            raise CommandError("no payouts to export")
        try:
            data = service.sie_for(payouts)
        except NotPostable as exc:
            raise CommandError(str(exc)) from None
        Path(options["output"]).write_bytes(data)
        self.stdout.write(f"{options['output']}: {len(payouts)} payout(s), SIE 4I")

    def do_bank(self, options) -> None:
        integration = self._integration(options["integration"])
        try:
            result = import_bank(integration, options["file"], Path(options["file"]).read_bytes())
        except (OSError, ParseError) as exc:
            self.stderr.write(f"{options['file']}: {getattr(exc, 'problem', None) or exc}")
            raise SystemExit(2) from None
        self.stdout.write(
            f"{result.lines} bank line(s), {result.new} new; ticked off: {', '.join(result.ticked) or 'none'}"
        )

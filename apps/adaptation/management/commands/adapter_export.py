"""``manage.py adapter_export <adapter id> --out DIR``: merge a registered LoRA adapter into its
base model's weights and save a plain transformers folder (weights and tokenizer) that loads
without peft; the export is audited in the adapter's tenant."""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from apps.adaptation.models import AdapterVersion
from apps.adaptation.services import adapter_merge_export


class Command(BaseCommand):
    help = "Merge an adapter version into full weights for export."

    def add_arguments(self, parser):
        parser.add_argument("adapter", help="the adapter version's id")
        parser.add_argument("--out", required=True, help="folder to write (created)")

    def handle(self, *args, **options):
        try:
            adapter = AdapterVersion.objects.select_related("tenant").get(pk=options["adapter"])
        except (AdapterVersion.DoesNotExist, ValidationError, ValueError) as exc:
            raise CommandError(f"no adapter version {options['adapter']!r}") from exc
        out = Path(options["out"])
        if out.exists() and any(out.iterdir()):
            raise CommandError(f"{out} exists and is not empty")
        adapter_merge_export(tenant=adapter.tenant, adapter=adapter, out=out)
        self.stdout.write(f"merged {adapter.label} ({adapter.digest[:12]}) into {out}")

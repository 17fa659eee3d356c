"""Prepare every configured model's files so that the first request does not wait: locate each
source and convert GGUF checkpoints once into the models cache. Loads nothing into memory."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from models_runtime.errors import ModelsRuntimeError
from models_runtime.gguf_cache import converted_copy
from models_runtime.sources import resolve_source
from models_runtime.specs import specs_from_settings


class Command(BaseCommand):
    help = "Locate every configured model and convert GGUF files once (idempotent)."

    def handle(self, *args, **options):
        for name, spec in sorted(specs_from_settings(settings.MODELS_RUNTIME).items()):
            if spec.backend != "transformers":
                self.stdout.write(f"{name}: {spec.backend} backend at {spec.base_url}")
                continue
            try:
                source = resolve_source(spec)
                if source.is_gguf:
                    copy = converted_copy(source.path)
                    self.stdout.write(f"{name}: {source.path.name} -> {copy.path}")
                else:
                    self.stdout.write(f"{name}: {source.path or source.hub_id}")
            except ModelsRuntimeError as exc:
                raise CommandError(f"model {name!r}: {exc}") from exc

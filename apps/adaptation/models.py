"""Tables of domain adaptation: uploaded training-pair sets and the adapter registry (each
trained LoRA adapter a version, with its weights, model card and state). Every row belongs to
one tenant."""

from __future__ import annotations

import uuid

from django.db import models

from apps.registry.models import ModelState, VersionedModel, versioned_constraints


class TrainingSet(models.Model):
    """Uploaded instruction–response pairs (JSONL), validated, deduplicated and with personal
    data masked on upload; only the masked pairs are kept. ``digest`` goes on model cards."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey("accounts.Tenant", on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=200)
    pairs = models.JSONField(default=list, help_text="masked pairs: messages, response, source")
    pair_count = models.PositiveIntegerField(default=0)
    duplicates_dropped = models.PositiveIntegerField(default=0)
    masked_fields = models.PositiveIntegerField(
        default=0, help_text="prompts and answers in which personal data was masked"
    )
    digest = models.CharField(max_length=64)
    source_filename = models.CharField(max_length=255, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.pair_count} pairs)"


class AdapterState(models.TextChoices):
    """What the API calls an adapter's state. Underneath, an adapter is a version on the shared
    registry (``apps.registry``): ``promoted`` is its champion state."""

    DRAFT = "draft", "Draft"
    PROMOTED = "promoted", "Promoted (serving)"
    RETIRED = "retired", "Retired"


class AdapterVersion(VersionedModel):
    """A trained LoRA adapter: one version of ``name`` for ``base_model`` (a models_runtime chat
    model). The champion (``promoted``) version of a name is the one the inference worker
    applies when the tenant's requests say ``adapter=<name>``; ``digest`` (SHA-256 of its config
    and weights) identifies it there."""

    # Adapters have no challenger; a retired adapter may serve again, and retiring one twice
    # is harmless (the API has always answered 200).
    transitions = {
        ModelState.DRAFT: frozenset({ModelState.CHAMPION, ModelState.RETIRED}),
        ModelState.CHAMPION: frozenset({ModelState.RETIRED}),
        ModelState.RETIRED: frozenset({ModelState.CHAMPION, ModelState.RETIRED}),
    }
    state_words = {ModelState.CHAMPION: AdapterState.PROMOTED.value}
    stamped_states = frozenset({ModelState.CHAMPION})

    # The registry's states an adapter takes, labelled as the admin has always shown them.
    state = models.CharField(
        max_length=16,
        choices=[
            (ModelState.DRAFT, AdapterState.DRAFT.label),
            (ModelState.CHAMPION, AdapterState.PROMOTED.label),
            (ModelState.RETIRED, AdapterState.RETIRED.label),
        ],
        default=ModelState.DRAFT,
    )
    name = models.SlugField(max_length=63)
    base_model = models.CharField(max_length=100, default="chat")
    training_config = models.JSONField(default=dict)
    adapter_config = models.JSONField(default=dict, help_text="peft's adapter_config.json")
    weights = models.BinaryField(editable=False, default=b"", help_text="safetensors bytes")
    digest = models.CharField(max_length=64, db_index=True)
    data_digest = models.CharField(max_length=64)
    validation_pairs = models.JSONField(default=list, help_text="the held-out pairs (masked)")
    evaluation = models.JSONField(default=dict, help_text="before/after figures")
    card = models.JSONField(default=dict, help_text="the model card")

    class Meta:
        ordering = ["name", "-version"]
        constraints = versioned_constraints("adapter", ("tenant", "name"))

    def __str__(self) -> str:
        return f"{self.name} v{self.version} ({self.state_name})"

    @property
    def label(self) -> str:
        return f"{self.name}:v{self.version}"

    def transition_refusal(self, state: str) -> str:
        if state == self.state:
            return f"{self.label} is already {self.state_name}."
        return super().transition_refusal(state)

    def audit_identity(self) -> tuple[str, str]:
        return self.base_model, self.label

    def audit_reference(self) -> str:
        return self.label

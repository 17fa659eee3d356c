"""The shared registry of versioned models: intents, risk models and adapters are versions of
one abstract model (``models.VersionedModel``) that move through one state machine (draft,
challenger, champion, retired) by one audited service (``services``), with a promotion hook
(``gates``) where governance plugs in. docs/model-registry.md describes all three."""

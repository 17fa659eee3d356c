"""System checks of the key service: a misspelt backend or a Vault backend without its address
or token must stop the platform, not fall back to the environment's master key."""

from importlib.util import find_spec

from django.conf import settings
from django.core import checks

BACKENDS = ("env", "vault")


def key_backend_problems() -> list[checks.CheckMessage]:
    backend = getattr(settings, "PRIVACY_KEY_BACKEND", "env")
    if backend not in BACKENDS:
        return [
            checks.Error(
                f"PRIVACY_KEY_BACKEND={backend!r} is not a key backend",
                hint=f"One of {', '.join(BACKENDS)}.",
                id="privacy.E001",
            )
        ]
    if backend != "vault":
        return []
    problems = [
        checks.Error(f"PRIVACY_KEY_BACKEND=vault needs {name}", id="privacy.E002")
        for name in ("VAULT_ADDR", "VAULT_TOKEN", "VAULT_TRANSIT_KEY")
        if not getattr(settings, name, "")
    ]
    if find_spec("hvac") is None:
        problems.append(
            checks.Error(
                "PRIVACY_KEY_BACKEND=vault needs hvac",
                hint="pip install -r requirements.txt",
                id="privacy.E003",
            )
        )
    return problems


@checks.register(checks.Tags.security)
def key_backend_configured(app_configs, **kwargs):
    return key_backend_problems()

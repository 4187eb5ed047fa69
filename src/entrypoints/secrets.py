"""The admin key and the token secret: taken from settings, or made up for an embedded run."""

from __future__ import annotations

import logging
import secrets

from ticketing_entrypoints.backends import Deployment, deployment_of
from ticketing_entrypoints.settings import Settings

log = logging.getLogger(__name__)


class MissingSecret(RuntimeError):
    """A shared deployment needs the same secret in every instance; it cannot be made up."""


def admin_key(settings: Settings) -> str:
    if settings.admin_key is not None:
        return settings.admin_key.get_secret_value()
    generated = _generate(settings, "TICKETING_ADMIN_KEY")
    # Printed on purpose: in embedded mode this line is how the operator learns the key.
    log.warning("TICKETING_ADMIN_KEY is not set; this process uses the admin key %s", generated)
    return generated


def token_secret(settings: Settings) -> str:
    if settings.token_secret is not None:
        return settings.token_secret.get_secret_value()
    generated = _generate(settings, "TICKETING_TOKEN_SECRET")
    log.warning(
        "TICKETING_TOKEN_SECRET is not set; queue tokens are signed with a random per-process "
        "secret and stop working when this process restarts"
    )
    return generated


def _generate(settings: Settings, variable: str) -> str:
    if deployment_of(settings) is not Deployment.EMBEDDED:
        raise MissingSecret(f"{variable} must be set when instances share external backends")
    return secrets.token_urlsafe(32)

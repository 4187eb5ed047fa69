"""Access codes of a presale: who may enter before the general sale, and how often.

A code is kept only as its digest (``code_digest``): the stores, the record and the listing
never hold the code itself. A code is good for ``max_uses`` entries during the presale, each
counted in the same step as the entry it lets in; one that names ``categories`` lets its
buyers hold seats of those only.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from ticketing_core.settings import IdSyntax

ACCESS_CODE = IdSyntax(r"[A-Za-z0-9_-]{8,64}")
"""A code as operators write or the API makes it (22 random characters)."""
MAX_CODE_USES = 1_000_000
MAX_CODES_PER_CALL = 10_000


def code_digest(event_id: str, code: str) -> str:
    """What is stored of a code: its SHA-256 with the event, in hex. Generated codes carry 128
    random bits, so the digest gives nothing away; codes an operator writes should be as long."""
    return hashlib.sha256(f"{event_id}\n{code}".encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class AccessCode:
    digest: str
    max_uses: int
    categories: tuple[str, ...] | None = None
    """The seat categories its buyers may hold; None: any."""

    @property
    def code_id(self) -> str:
        """How the listing names it: the digest's first 12 hex digits."""
        return self.digest[:12]


@dataclass(frozen=True, slots=True)
class CodeUses:
    code: AccessCode
    uses: int

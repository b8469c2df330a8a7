"""``/.well-known/security.txt`` (RFC 9116), with ``Expires`` derived from the build's epoch."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from portal.epoch import as_datetime

MAX_LIFETIME_DAYS = 364  # RFC 9116 §2.5.5: Expires should be less than a year into the future


class SecurityTxtError(ValueError):
    """The security.txt settings are unusable."""


@dataclass(frozen=True)
class SecurityTxt:
    """The fields the portal publishes; ``contact`` and ``canonical`` are absolute URIs."""

    contact: tuple[str, ...]
    canonical: str
    preferred_languages: str = "vi, en"
    policy: str = ""
    lifetime_days: int = 180

    def render(self, epoch: int) -> str:
        """Return the file's text, expiring ``lifetime_days`` after ``epoch``."""
        if not self.contact:
            raise SecurityTxtError("security.txt needs at least one Contact")
        if not 0 < self.lifetime_days <= MAX_LIFETIME_DAYS:
            raise SecurityTxtError(f"security.txt lifetime must be 1..{MAX_LIFETIME_DAYS} days")
        expires = as_datetime(epoch) + timedelta(days=self.lifetime_days)
        lines = [f"Contact: {uri}" for uri in self.contact]
        lines.append(f"Expires: {expires.strftime('%Y-%m-%dT%H:%M:%SZ')}")
        lines.append(f"Preferred-Languages: {self.preferred_languages}")
        lines.append(f"Canonical: {self.canonical}")
        if self.policy:
            lines.append(f"Policy: {self.policy}")
        return "\n".join(lines) + "\n"

"""Secrets at rest: connector passwords and tokens, encrypted with Fernet keys from settings."""

from __future__ import annotations

import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class SecretsUnreadable(RuntimeError):
    """Stored secrets do not decrypt with any configured key."""


class SecretBox:
    """Encrypts with the first key; decrypts with any, so keys can be rotated."""

    def __init__(self, keys: list[str]) -> None:
        if not keys:
            raise ValueError("at least one encryption key is needed")
        try:
            self._fernet = MultiFernet([Fernet(key.encode()) for key in keys])
        except (ValueError, TypeError) as exc:
            raise ValueError(f"not a Fernet key (32 url-safe base64 bytes): {exc}") from None

    @staticmethod
    def generate_key() -> str:
        return Fernet.generate_key().decode()

    def seal(self, values: dict[str, Any]) -> str:
        return self._fernet.encrypt(json.dumps(values, sort_keys=True).encode()).decode()

    def open(self, token: str | None) -> dict[str, Any]:
        if not token:
            return {}
        try:
            return dict(json.loads(self._fernet.decrypt(token.encode())))
        except InvalidToken:
            raise SecretsUnreadable(
                "stored secrets do not decrypt with HUB_ENCRYPTION_KEYS; was the key changed "
                "without keeping the old one in the list?"
            ) from None

    def rotate(self, token: str) -> str:
        return self._fernet.rotate(token.encode()).decode()

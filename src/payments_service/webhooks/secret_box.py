"""Signing secrets at rest: encrypted with WEBHOOK_SECRET_KEY (Fernet, from `cryptography`).

Without a key they are stored as they are (`whsec_...`), and each process says so once at
start. A key is not generated on the fly: every worker and dispatcher must share it, and a
key lost with a restart would leave every secret unreadable. Several comma-separated keys
rotate the key itself: the first encrypts, any of them decrypts.
"""

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

SEALED = "fernet:"


class Unreadable(Exception):
    """A stored secret that the configured keys cannot decrypt."""


class SecretBox:
    def __init__(self, keys: str | None) -> None:
        fernets = [Fernet(key.strip()) for key in (keys or "").split(",") if key.strip()]
        self.fernet = MultiFernet(fernets) if fernets else None

    def seal(self, secret: str) -> str:
        if self.fernet is None:
            return secret
        return SEALED + self.fernet.encrypt(secret.encode()).decode()

    def open(self, stored: str) -> str:
        if not stored.startswith(SEALED):
            return stored
        if self.fernet is None:
            raise Unreadable("WEBHOOK_SECRET_KEY is not set")
        try:
            return self.fernet.decrypt(stored.removeprefix(SEALED)).decode()
        except InvalidToken:
            raise Unreadable("no key of WEBHOOK_SECRET_KEY decrypts it") from None

"""SSH key pairs for clusters: generated or imported, encrypted at rest."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass

import asyncssh
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from hpcsim.errors import HpcsimError, InvalidInput

_NONCE_BYTES = 12
_KDF_INFO = b"hpcsim ssh private keys v1"


@dataclass(frozen=True)
class KeyPair:
    private_openssh: str
    public_openssh: str
    fingerprint: str


class KeyDecryptionFailed(HpcsimError):
    """A stored key cannot be decrypted with the key-encryption key."""


def generate_key_pair(comment: str) -> KeyPair:
    """Generate an Ed25519 key pair."""
    key = asyncssh.generate_private_key("ssh-ed25519", comment=comment)
    return _pair(key)


def import_key_pair(data: bytes, passphrase: str | None, comment: str) -> KeyPair:
    """Read a private key in OpenSSH, PEM or PKCS#8 form; RSA, ECDSA or Ed25519."""
    try:
        key = asyncssh.import_private_key(data, passphrase or None)
    except asyncssh.KeyImportError as error:
        raise InvalidInput(
            f"the private key cannot be read: {error}; give an OpenSSH, PEM or "
            "PKCS#8 private key (RSA, ECDSA or Ed25519) and its passphrase",
            field="private_key",
        ) from error
    except (ValueError, TypeError) as error:
        raise InvalidInput(
            "the private key cannot be read; check the passphrase",
            field="passphrase",
        ) from error

    algorithm = key.get_algorithm()
    if not algorithm.startswith(("ssh-rsa", "ecdsa-", "ssh-ed25519")):
        raise InvalidInput(
            f"{algorithm} keys are not accepted; use RSA, ECDSA or Ed25519",
            field="private_key",
        )
    key.set_comment(comment)
    return _pair(key)


def _pair(key: asyncssh.SSHKey) -> KeyPair:
    private = key.export_private_key("openssh").decode()
    public = key.export_public_key("openssh").decode().strip()
    return KeyPair(private, public, key.get_fingerprint("sha256"))


def _derive(key_encryption_key: str) -> tuple[str, AESGCM]:
    derived = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=_KDF_INFO
    ).derive(key_encryption_key.encode())
    kek_id = hashlib.sha256(b"kek-id:" + derived).hexdigest()[:16]
    return kek_id, AESGCM(derived)


class KeyCipher:
    """Encrypts private keys with AES-GCM under a key derived from the KEK.

    Keys encrypted under previous KEKs still decrypt, by the KEK id stored beside
    each key, until `hpcsim key rotate` has encrypted them under the current one.
    """

    def __init__(self, key_encryption_key: str, previous: Sequence[str] = ()) -> None:
        self.kek_id, self._aead = _derive(key_encryption_key)
        self._by_id = dict(_derive(old) for old in previous)
        self._by_id[self.kek_id] = self._aead

    def encrypt(self, plaintext: str, context: str) -> bytes:
        """Encrypt a private key; `context` binds it to its owner and machine."""
        nonce = os.urandom(_NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, plaintext.encode(), context.encode())

    def decrypt(self, blob: bytes, context: str, kek_id: str | None = None) -> str:
        """Decrypt a private key stored by `encrypt` with the same context."""
        aead = self._by_id.get(kek_id or self.kek_id)
        if aead is None:
            raise KeyDecryptionFailed(
                f"a stored SSH key was encrypted under an unknown KEK ({kek_id}); "
                "give it in HPCSIM_PREVIOUS_KEY_ENCRYPTION_KEYS"
            )
        nonce, ciphertext = blob[:_NONCE_BYTES], blob[_NONCE_BYTES:]
        try:
            return aead.decrypt(nonce, ciphertext, context.encode()).decode()
        except (InvalidTag, ValueError) as error:
            raise KeyDecryptionFailed(
                "a stored SSH key cannot be decrypted with the configured "
                "key-encryption key"
            ) from error

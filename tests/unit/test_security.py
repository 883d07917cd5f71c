"""API tokens, passwords and SSH keys: what proves a user and what stays secret."""

from __future__ import annotations

import base64
import json
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncssh
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed25519, rsa

from hpcsim.errors import InvalidInput, Unauthorized
from hpcsim.security import passwords, tokens
from hpcsim.security.ssh_keys import (
    KeyCipher,
    KeyDecryptionFailed,
    generate_key_pair,
    import_key_pair,
)

SECRET = "unit-test-secret-of-at-least-32-characters"
OTHER_SECRET = "another-secret-of-at-least-32-characters!"
DAY = timedelta(days=1)


def b64(data: dict[str, object]) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64(text: str) -> dict[str, object]:
    loaded: dict[str, object] = json.loads(base64.urlsafe_b64decode(text + "=="))
    return loaded


def claims(**changes: object) -> dict[str, object]:
    now = datetime.now(UTC)
    values: dict[str, object] = {
        "sub": "7",
        "jti": "0123456789abcdef",
        "iat": now,
        "nbf": now,
        "exp": now + DAY,
    }
    values.update(changes)
    return {key: value for key, value in values.items() if value is not None}


def refused(token: str, secret: str = SECRET) -> None:
    with pytest.raises(Unauthorized):
        tokens.decode_token(secret, token)


# --- API tokens ---------------------------------------------------------------


def test_issued_token_decodes_to_its_user_and_id() -> None:
    issued = tokens.issue_token(SECRET, 42, DAY)

    decoded = tokens.decode_token(SECRET, issued.token)

    assert decoded.user_id == 42
    assert decoded.jti == issued.jti
    assert issued.expires_at - issued.issued_at == DAY


def test_each_issued_token_is_different() -> None:
    first, second = (tokens.issue_token(SECRET, 42, DAY) for _ in range(2))

    assert first.token != second.token
    assert first.jti != second.jti


def test_token_digest_is_keyed_and_does_not_hold_the_token() -> None:
    issued = tokens.issue_token(SECRET, 42, DAY)

    assert issued.digest == tokens.token_digest(SECRET, issued.token)
    assert issued.digest != tokens.token_digest(OTHER_SECRET, issued.token)
    assert issued.token not in issued.digest


def test_digests_match_only_when_equal() -> None:
    digest = tokens.token_digest(SECRET, "a token")

    assert tokens.digests_match(digest, tokens.token_digest(SECRET, "a token"))
    assert not tokens.digests_match(digest, tokens.token_digest(SECRET, "a tokeN"))
    assert not tokens.digests_match(digest, "")


def test_token_with_a_tampered_payload_is_refused() -> None:
    header, payload, signature = tokens.issue_token(SECRET, 42, DAY).token.split(".")
    forged = b64({**unb64(payload), "sub": "1"})

    refused(f"{header}.{forged}.{signature}")


def test_token_signed_with_another_secret_is_refused() -> None:
    refused(tokens.issue_token(OTHER_SECRET, 42, DAY).token)


def test_unsigned_token_is_refused() -> None:
    header = b64({"alg": "none", "typ": "JWT"})
    payload = b64(
        {"sub": "42", "jti": "abc", "iat": 1, "exp": 32503680000}  # year 3000
    )

    refused(f"{header}.{payload}.")


def test_token_signed_with_another_algorithm_is_refused() -> None:
    long_secret = SECRET * 2  # HS512 wants a 64-byte key; the algorithm is the point

    refused(jwt.encode(claims(), long_secret, algorithm="HS512"), long_secret)


def test_expired_token_is_refused() -> None:
    refused(tokens.issue_token(SECRET, 42, -timedelta(minutes=5)).token)


def test_token_just_past_expiry_is_accepted_within_the_leeway() -> None:
    token = jwt.encode(
        claims(exp=datetime.now(UTC) - timedelta(seconds=5)), SECRET, algorithm="HS256"
    )

    assert tokens.decode_token(SECRET, token).user_id == 7


def test_token_not_yet_valid_is_refused() -> None:
    later = datetime.now(UTC) + timedelta(hours=1)

    refused(jwt.encode(claims(nbf=later), SECRET, algorithm="HS256"))


@pytest.mark.parametrize("missing", ["sub", "jti", "iat", "exp"])
def test_token_without_a_required_claim_is_refused(missing: str) -> None:
    payload = claims()
    del payload[missing]

    refused(jwt.encode(payload, SECRET, algorithm="HS256"))


@pytest.mark.parametrize("subject", ["-1", "abc", "", "1.0", " 7"])
def test_token_whose_subject_is_not_a_user_id_is_refused(subject: str) -> None:
    refused(jwt.encode(claims(sub=subject), SECRET, algorithm="HS256"))


def test_token_with_an_integer_subject_is_refused() -> None:
    # PyJWT itself is asked to sign it, so only decode_token can refuse it.
    token = jwt.encode(claims(sub=7), SECRET, algorithm="HS256")

    refused(token)


@pytest.mark.parametrize("token", ["", "garbage", "a.b.c", "Bearer x"])
def test_garbage_tokens_are_refused(token: str) -> None:
    refused(token)


def test_sec_tokens_are_unique_and_stored_as_digests() -> None:
    first, second = tokens.new_sec_token(), tokens.new_sec_token()

    assert first != second
    assert first.startswith("hst_")
    assert tokens.sec_token_digest(first) == tokens.sec_token_digest(first)
    assert tokens.sec_token_digest(first) != tokens.sec_token_digest(second)
    assert first not in tokens.sec_token_digest(first)


# --- passwords ----------------------------------------------------------------


def test_password_verifies_against_its_hash_only() -> None:
    stored = passwords.hash_password("correct horse")

    assert passwords.verify_password("correct horse", stored)
    assert not passwords.verify_password("correct horsE", stored)
    assert "correct horse" not in stored
    assert stored.startswith("$argon2")


def test_the_same_password_hashes_differently_each_time() -> None:
    assert passwords.hash_password("pw") != passwords.hash_password("pw")


@pytest.mark.parametrize("stored", [None, "", "not-a-hash", "$argon2id$broken"])
def test_password_without_a_usable_hash_never_verifies(stored: str | None) -> None:
    # The dummy password is the one verified when there is no hash.
    assert passwords.verify_password("hpcsim-dummy-password", stored) is False


# --- SSH keys -----------------------------------------------------------------

PASSPHRASE = "open sesame"
PRIVATE_KEYS = {
    "rsa": rsa.generate_private_key(public_exponent=65537, key_size=2048),
    "ecdsa": ec.generate_private_key(ec.SECP256R1()),
    "ed25519": ed25519.Ed25519PrivateKey.generate(),
}
ALGORITHM_PREFIX = {"rsa": "ssh-rsa", "ecdsa": "ecdsa-sha2-", "ed25519": "ssh-ed25519"}
FORMATS = {
    "openssh": serialization.PrivateFormat.OpenSSH,
    "pem": serialization.PrivateFormat.TraditionalOpenSSL,
    "pkcs8": serialization.PrivateFormat.PKCS8,
}


def key_file(kind: str, form: str, passphrase: str | None) -> bytes:
    encryption = (
        serialization.BestAvailableEncryption(passphrase.encode())
        if passphrase
        else serialization.NoEncryption()
    )
    return PRIVATE_KEYS[kind].private_bytes(
        serialization.Encoding.PEM, FORMATS[form], encryption
    )


def public_line(kind: str) -> str:
    public = (
        PRIVATE_KEYS[kind]
        .public_key()
        .public_bytes(
            serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
        )
    )
    return public.decode()


KEY_CASES = [
    (kind, form, passphrase)
    for kind in PRIVATE_KEYS
    for form in FORMATS
    for passphrase in (None, PASSPHRASE)
    # Ed25519 has no traditional PEM form; encrypted OpenSSH keys need bcrypt.
    if not (kind == "ed25519" and form == "pem")
    and not (form == "openssh" and passphrase)
]


def test_generated_key_pair_is_ed25519_and_consistent() -> None:
    pair = generate_key_pair("hpcsim-test")

    key = asyncssh.import_private_key(pair.private_openssh)
    assert pair.public_openssh.startswith("ssh-ed25519 ")
    assert pair.public_openssh.endswith(" hpcsim-test")
    assert key.export_public_key().decode().split()[1] == pair.public_openssh.split()[1]
    assert pair.fingerprint == key.get_fingerprint("sha256")


def test_each_generated_key_pair_is_new() -> None:
    first, second = generate_key_pair("a"), generate_key_pair("a")

    assert first.public_openssh != second.public_openssh


@pytest.mark.parametrize(("kind", "form", "passphrase"), KEY_CASES)
def test_imported_key_keeps_its_public_half(
    kind: str, form: str, passphrase: str | None
) -> None:
    pair = import_key_pair(key_file(kind, form, passphrase), passphrase, "imported")

    assert pair.public_openssh.startswith(ALGORITHM_PREFIX[kind])
    assert pair.public_openssh.split()[1] == public_line(kind).split()[1]
    assert pair.public_openssh.endswith(" imported")
    assert pair.private_openssh.startswith("-----BEGIN OPENSSH PRIVATE KEY-----")


def test_passphrase_protected_key_from_ssh_keygen_is_imported(tmp_path: Path) -> None:
    path = tmp_path / "id_ed25519"
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", PASSPHRASE, "-f", str(path)],
        check=True,
    )

    pair = import_key_pair(path.read_bytes(), PASSPHRASE, "laptop")

    public = Path(f"{path}.pub").read_text()
    assert pair.public_openssh.split()[1] == public.split()[1]


@pytest.mark.parametrize(("kind", "form"), [("rsa", "pkcs8"), ("ecdsa", "pem")])
@pytest.mark.parametrize("given", ["wrong", None])
def test_encrypted_key_with_a_wrong_or_no_passphrase_is_invalid_input(
    kind: str, form: str, given: str | None
) -> None:
    with pytest.raises(InvalidInput) as caught:
        import_key_pair(key_file(kind, form, PASSPHRASE), given, "x")

    assert caught.value.field in {"passphrase", "private_key"}
    assert PASSPHRASE not in caught.value.message


@pytest.mark.parametrize(
    "data", [b"", b"not a key", public_line("ed25519").encode(), b"\x00\xff" * 40]
)
def test_what_is_not_a_private_key_is_invalid_input(data: bytes) -> None:
    with pytest.raises(InvalidInput):
        import_key_pair(data, None, "x")


@pytest.mark.filterwarnings("ignore::cryptography.utils.CryptographyDeprecationWarning")
def test_dsa_keys_are_refused() -> None:
    key = dsa.generate_private_key(key_size=2048).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )

    with pytest.raises(InvalidInput, match="ssh-dss"):
        import_key_pair(key, None, "x")


# --- encryption of stored keys ------------------------------------------------

KEK = "unit-test key-encryption key"
CONTEXT = "ssh-key:1:1:1"


@pytest.fixture(scope="module")
def private_key() -> str:
    return generate_key_pair("stored").private_openssh


def test_stored_key_decrypts_to_the_same_text(private_key: str) -> None:
    cipher = KeyCipher(KEK)

    assert cipher.decrypt(cipher.encrypt(private_key, CONTEXT), CONTEXT) == private_key


def test_stored_key_does_not_show_the_private_key(private_key: str) -> None:
    blob = KeyCipher(KEK).encrypt(private_key, CONTEXT)
    body = private_key.splitlines()[1].encode()

    assert body not in blob
    assert b"OPENSSH PRIVATE KEY" not in blob


def test_encrypting_twice_gives_different_blobs(private_key: str) -> None:
    cipher = KeyCipher(KEK)

    assert cipher.encrypt(private_key, CONTEXT) != cipher.encrypt(private_key, CONTEXT)


def test_stored_key_of_another_owner_or_machine_does_not_decrypt(
    private_key: str,
) -> None:
    cipher = KeyCipher(KEK)
    blob = cipher.encrypt(private_key, CONTEXT)

    for context in ("ssh-key:1:2:1", "ssh-key:1:1:2", "ssh-key:2:1:1", ""):
        with pytest.raises(KeyDecryptionFailed):
            cipher.decrypt(blob, context)


def test_stored_key_does_not_decrypt_with_another_kek(private_key: str) -> None:
    blob = KeyCipher(KEK).encrypt(private_key, CONTEXT)

    with pytest.raises(KeyDecryptionFailed):
        KeyCipher(KEK + "!").decrypt(blob, CONTEXT)


def test_kek_id_tells_keks_apart_without_showing_them() -> None:
    assert KeyCipher(KEK).kek_id == KeyCipher(KEK).kek_id
    assert KeyCipher(KEK).kek_id != KeyCipher(KEK + "!").kek_id
    assert KEK not in KeyCipher(KEK).kek_id


def test_tampered_stored_key_does_not_decrypt(private_key: str) -> None:
    cipher = KeyCipher(KEK)
    blob = bytearray(cipher.encrypt(private_key, CONTEXT))
    blob[20] ^= 1

    with pytest.raises(KeyDecryptionFailed):
        cipher.decrypt(bytes(blob), CONTEXT)


@pytest.mark.parametrize("blob", [b"", b"short"])
def test_truncated_stored_key_fails_as_undecryptable(blob: bytes) -> None:
    with pytest.raises(KeyDecryptionFailed):
        KeyCipher(KEK).decrypt(blob, CONTEXT)

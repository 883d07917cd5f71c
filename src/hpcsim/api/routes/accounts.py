"""Tokens, machines and SSH keys of the calling user."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi import Path as FastApiPath
from fastapi.security import HTTPBasic, HTTPBasicCredentials
from pydantic import BaseModel, Field

from hpcsim import accounts
from hpcsim.api.deps import Context, CurrentUser, Session
from hpcsim.api.problems import COMMON_ERRORS, problem_responses
from hpcsim.errors import TooLarge
from hpcsim.security.ssh_keys import generate_key_pair, import_key_pair
from hpcsim.storage import repositories as repo

router = APIRouter(
    prefix="/api",
    tags=["accounts"],
    responses={**COMMON_ERRORS, **problem_responses(502)},
)
basic = HTTPBasic(description="Your user name and password.")
MAX_KEY_BYTES = 64 * 1024
DatabaseId = Annotated[int, FastApiPath(ge=1, le=2**63 - 1)]


class TokenIn(BaseModel):
    name: str = Field("api", description="A name to recognise the token by.")
    days: int | None = Field(None, ge=1, le=3650, description="Lifetime in days.")


class TokenOut(BaseModel):
    id: int
    name: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


class NewTokenOut(TokenOut):
    token: str = Field(description="The token itself; shown this once only.")


class MachineIn(BaseModel):
    name: str = Field(
        description="1 to 64 of letters, digits, _ . -; a letter or digit first."
    )
    host: str = Field(
        description="A host name (letters, digits, . -) or an IP address."
    )
    port: int = Field(22, description="1 to 65535.")
    login: str = Field(
        description="A Unix user name: lowercase letters, digits, _ . -."
    )
    workdir: str = Field(
        description="Absolute path of letters, digits, _ . / -, without `..`."
    )
    scheduler: str = Field("slurm", description="Only `slurm` for now.")
    max_nodes: int = Field(1, description="Most nodes a run may ask for, 1 to 100000.")
    checkpoint_lead: int = Field(
        60, description="Seconds between USR1 and the time limit, 0 to 3600."
    )
    host_keys: str | None = Field(
        None,
        description="OpenSSH public host key lines, or known_hosts lines (hashed "
        "or `[host]:port` too); read from the host when absent.",
    )


class MachineOut(BaseModel):
    id: int
    name: str
    host: str
    port: int
    login: str
    workdir: str
    scheduler: str
    max_nodes: int
    checkpoint_lead: int
    host_keys: str


class KeyOut(BaseModel):
    id: int
    name: str
    machine_id: int
    public_key: str
    fingerprint: str
    created_at: datetime


class NewKeyOut(KeyOut):
    sec_token: str = Field(description="Names this key in run calls; shown once.")


@router.post("/tokens", status_code=201, response_model=NewTokenOut)
async def create_token(
    request: Request,
    body: TokenIn,
    context: Context,
    session: Session,
    credentials: Annotated[HTTPBasicCredentials, Depends(basic)],
) -> NewTokenOut:
    """Create an API token with your user name and password (HTTP Basic)."""
    address = request.client.host if request.client else "unknown"
    context.limits.login.take(f"login:{credentials.username}:{address}")
    request.state.user_name = credentials.username[:64]
    user = await accounts.login(session, credentials.username, credentials.password)
    request.state.user_id = user.id
    days = body.days or context.settings.token_days
    new = await accounts.create_token(
        session, context.jwt_secret, user, body.name, days
    )
    return NewTokenOut(token=new.token, **_token(new.record).model_dump())


@router.get("/tokens", response_model=list[TokenOut])
async def list_tokens(session: Session, user: CurrentUser) -> list[TokenOut]:
    """List your tokens; the tokens themselves are never shown again."""
    return [_token(record) for record in await repo.tokens_of(session, user.id)]


@router.delete("/tokens/{token_id}", status_code=204)
async def revoke_token(
    token_id: DatabaseId, session: Session, user: CurrentUser
) -> None:
    """Revoke a token; it stops working at once."""
    await accounts.revoke_token(session, user, token_id)


@router.post("/machines", status_code=201, response_model=MachineOut)
async def add_machine(
    body: MachineIn, session: Session, user: CurrentUser
) -> MachineOut:
    """Register a machine; its host key is recorded now and checked on every
    connection."""
    spec = accounts.MachineSpec(**body.model_dump())
    machine = await accounts.add_machine(session, user, spec)
    return MachineOut.model_validate(machine, from_attributes=True)


@router.get("/machines", response_model=list[MachineOut])
async def list_machines(session: Session, user: CurrentUser) -> list[MachineOut]:
    """List your machines."""
    machines = await repo.machines_of(session, user.id)
    return [MachineOut.model_validate(m, from_attributes=True) for m in machines]


@router.delete("/machines/{name}", status_code=204)
async def remove_machine(name: str, session: Session, user: CurrentUser) -> None:
    """Remove a machine without executions."""
    await accounts.remove_machine(session, user, name)


@router.post("/machines/{name}/keys", status_code=201, response_model=NewKeyOut)
async def create_key(
    name: str,
    context: Context,
    session: Session,
    user: CurrentUser,
    key_name: Annotated[str, Form(description="A name for the key.")] = "default",
    private_key: Annotated[
        UploadFile | None,
        File(description="A private key to import; a new Ed25519 key when absent."),
    ] = None,
    passphrase: Annotated[str | None, Form()] = None,
) -> NewKeyOut:
    """Generate (or import) an SSH key for a machine. The answer shows the public
    key to add to `authorized_keys` on the cluster and the SecToken, once."""
    machine = await accounts.find_machine(session, user, name, field="name")
    comment = f"hpcsim:{user.name}@{machine.name}"
    if private_key is None:
        pair = generate_key_pair(comment)
    else:
        data = await private_key.read(MAX_KEY_BYTES + 1)
        if len(data) > MAX_KEY_BYTES:
            raise TooLarge("private_key must be at most 64 KiB", field="private_key")
        pair = import_key_pair(data, passphrase, comment)
    new = await accounts.store_key(
        session, context.cipher, user, machine, key_name, pair
    )
    return NewKeyOut(sec_token=new.sec_token, **_key(new.record).model_dump())


@router.get("/keys", response_model=list[KeyOut])
async def list_keys(session: Session, user: CurrentUser) -> list[KeyOut]:
    """List your SSH keys (public parts only)."""
    return [_key(key) for key in await accounts.list_keys(session, user)]


@router.delete("/keys/{key_id}", status_code=204)
async def remove_key(key_id: DatabaseId, session: Session, user: CurrentUser) -> None:
    """Remove a key no execution uses."""
    await accounts.remove_key(session, user, key_id)


def _token(record: object) -> TokenOut:
    return TokenOut.model_validate(record, from_attributes=True)


def _key(record: object) -> KeyOut:
    return KeyOut.model_validate(record, from_attributes=True)

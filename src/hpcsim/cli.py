"""The `hpcsim` command: run the service and manage users, tokens, machines, keys."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from sqlalchemy.ext.asyncio import AsyncSession

from hpcsim import accounts
from hpcsim.errors import HpcsimError
from hpcsim.security.ssh_keys import generate_key_pair
from hpcsim.settings import Settings, get_settings
from hpcsim.storage import repositories as repo
from hpcsim.storage.db import create_engine, session_factory, upgrade_schema
from hpcsim.storage.models import User

app = typer.Typer(help="hpcsim: run simulation workflows on Slurm clusters.")
user_app = typer.Typer(help="Manage users.")
token_app = typer.Typer(help="Manage API tokens.")
machine_app = typer.Typer(help="Manage machines.")
key_app = typer.Typer(help="Manage SSH keys.")
app.add_typer(user_app, name="user")
app.add_typer(token_app, name="token")
app.add_typer(machine_app, name="machine")
app.add_typer(key_app, name="key")

err = Console(stderr=True)
T = TypeVar("T")


def _run(work: Callable[[AsyncSession, Settings], Awaitable[T]]) -> T:
    """Run one piece of work in a committed transaction; errors exit with 1."""
    settings = get_settings()
    upgrade_schema(settings.effective_database_url)

    async def main() -> T:
        engine = create_engine(settings.effective_database_url)
        try:
            async with session_factory(engine)() as session, session.begin():
                return await work(session, settings)
        finally:
            await engine.dispose()

    try:
        return asyncio.run(main())
    except HpcsimError as error:
        err.print(f"[red]error:[/red] {error.message}")
        raise typer.Exit(1) from error


async def _user(session: AsyncSession, name: str) -> User:
    user = await repo.user_by_name(session, name)
    if user is None:
        raise HpcsimError(f"no user {name}")
    return user


@app.command()
def serve(
    host: Annotated[str, typer.Option(envvar="HPCSIM_HOST")] = "127.0.0.1",
    port: Annotated[int, typer.Option(envvar="HPCSIM_PORT")] = 8000,
    ssl_certfile: Annotated[
        str | None, typer.Option(envvar="HPCSIM_SSL_CERTFILE")
    ] = None,
    ssl_keyfile: Annotated[
        str | None, typer.Option(envvar="HPCSIM_SSL_KEYFILE")
    ] = None,
    log_level: Annotated[str, typer.Option(envvar="HPCSIM_LOG_LEVEL")] = "info",
) -> None:
    """Serve the API and run the background worker."""
    import uvicorn

    from hpcsim.api.app import create_app

    logging.basicConfig(
        level=log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("asyncssh").setLevel(logging.WARNING)
    settings = get_settings()
    tls = bool(ssl_certfile and ssl_keyfile)
    if settings.environment == "production" and not (tls or settings.behind_proxy):
        err.print(
            "[red]error:[/red] production serves HTTPS only: give --ssl-certfile and "
            "--ssl-keyfile, or set HPCSIM_BEHIND_PROXY=true when a proxy terminates TLS"
        )
        raise typer.Exit(2)
    uvicorn.run(
        create_app(settings),
        host=host,
        port=port,
        ssl_certfile=ssl_certfile,
        ssl_keyfile=ssl_keyfile,
        log_config=None,
        log_level=log_level.lower(),
    )


@user_app.command("add")
def user_add(
    name: str,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from stdin.")
    ] = False,
    admin: Annotated[bool, typer.Option(help="Make the user an admin.")] = False,
) -> None:
    """Create a user; the password comes from a prompt or from stdin."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)

    async def work(session: AsyncSession, _settings: Settings) -> None:
        await accounts.add_user(session, name, password, admin=admin)

    _run(work)
    err.print(f"user {name} created")


@user_app.command("disable")
def user_disable(name: str) -> None:
    """Disable a user: their tokens stop working; nothing is deleted."""

    async def work(session: AsyncSession, _settings: Settings) -> None:
        await accounts.set_active(session, name, False)

    _run(work)
    err.print(f"user {name} disabled")


@user_app.command("enable")
def user_enable(name: str) -> None:
    """Enable a disabled user again."""

    async def work(session: AsyncSession, _settings: Settings) -> None:
        await accounts.set_active(session, name, True)

    _run(work)
    err.print(f"user {name} enabled")


@token_app.command("create")
def token_create(
    name: Annotated[str, typer.Argument(help="The user the token is for.")],
    token_name: Annotated[str, typer.Option("--name")] = "cli",  # noqa: S107
    days: Annotated[int | None, typer.Option(min=1, max=3650)] = None,
) -> None:
    """Print a new API token for a user, once."""

    async def work(session: AsyncSession, settings: Settings) -> str:
        user = await _user(session, name)
        secret = settings.jwt_secret.get_secret_value()
        lifetime = days or settings.token_days
        new = await accounts.create_token(session, secret, user, token_name, lifetime)
        return new.token

    typer.echo(_run(work))


@machine_app.command("add")
def machine_add(
    name: Annotated[str, typer.Argument(help="The user who owns the machine.")],
    machine: Annotated[str, typer.Argument(help="The machine's name.")],
    host: Annotated[str, typer.Option()],
    login: Annotated[str, typer.Option()],
    workdir: Annotated[str, typer.Option()],
    port: Annotated[int, typer.Option()] = 22,
    max_nodes: Annotated[int, typer.Option()] = 1,
    checkpoint_lead: Annotated[int, typer.Option()] = 60,
    host_key_file: Annotated[
        str | None, typer.Option(help="Public host key file; else read from the host.")
    ] = None,
) -> None:
    """Register a machine for a user and record its host key."""
    host_keys = None
    if host_key_file:
        with open(host_key_file) as handle:
            host_keys = handle.read()
    spec = accounts.MachineSpec(
        name=machine,
        host=host,
        port=port,
        login=login,
        workdir=workdir,
        max_nodes=max_nodes,
        checkpoint_lead=checkpoint_lead,
        host_keys=host_keys,
    )

    async def work(session: AsyncSession, _settings: Settings) -> str:
        record = await accounts.add_machine(session, await _user(session, name), spec)
        return record.host_keys

    host_key = _run(work)
    typer.echo(f"machine {machine} added; host key recorded: {host_key}", err=True)


@key_app.command("create")
def key_create(
    name: Annotated[str, typer.Argument(help="The user the key is for.")],
    machine: Annotated[str, typer.Argument(help="The user's machine.")],
    key_name: Annotated[str, typer.Option("--name")] = "default",
) -> None:
    """Generate an SSH key; print its public key and SecToken, once."""

    async def work(session: AsyncSession, settings: Settings) -> tuple[str, str]:
        user = await _user(session, name)
        target = await accounts.find_machine(session, user, machine)
        cipher = settings.key_cipher()
        pair = generate_key_pair(f"hpcsim:{user.name}@{target.name}")
        new = await accounts.store_key(session, cipher, user, target, key_name, pair)
        return new.record.public_key, new.sec_token

    public_key, sec_token = _run(work)
    typer.echo(f"public_key: {public_key}")
    typer.echo(f"sec_token: {sec_token}")


@key_app.command("rotate")
def key_rotate() -> None:
    """Encrypt every stored SSH key under the current key-encryption key.

    Set the new KEK in HPCSIM_KEY_ENCRYPTION_KEY and the old ones in
    HPCSIM_PREVIOUS_KEY_ENCRYPTION_KEYS (a JSON list), run this, then drop the
    old ones.
    """

    async def work(session: AsyncSession, settings: Settings) -> int:
        return await accounts.rotate_keys(session, settings.key_cipher())

    changed = _run(work)
    err.print(f"{changed} key(s) re-encrypted under the current key-encryption key")


if __name__ == "__main__":
    app()

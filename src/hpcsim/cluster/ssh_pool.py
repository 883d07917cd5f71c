"""A pool of SSH connections, one per cluster login, with a bound on channels."""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import posixpath
from collections.abc import Sequence
from dataclasses import dataclass

import asyncssh

from hpcsim.cluster.commands import CommandResult, to_shell
from hpcsim.errors import ConnectionFailed, HostKeyMismatch

logger = logging.getLogger(__name__)

HOST_KEY_TIMEOUT = 15.0


@dataclass(frozen=True)
class Endpoint:
    """Where and as whom to connect, and which host keys to trust."""

    host: str
    port: int
    login: str
    host_keys: str
    private_key: str

    @property
    def label(self) -> str:
        return f"{self.login}@{self.host}:{self.port}"


@dataclass(frozen=True)
class PoolLimits:
    connect_timeout: float
    command_timeout: float
    max_channels: int


class SshPool:
    """Keeps one connection per endpoint and hands out runners on it."""

    def __init__(self, limits: PoolLimits) -> None:
        self._limits = limits
        self._connections: dict[Endpoint, asyncssh.SSHClientConnection] = {}
        self._locks: dict[Endpoint, asyncio.Lock] = {}
        self._channels: dict[Endpoint, asyncio.Semaphore] = {}

    @property
    def command_timeout(self) -> float:
        return self._limits.command_timeout

    def runner(self, endpoint: Endpoint) -> SshRunner:
        """Return a command runner for an endpoint; it connects when first used."""
        return SshRunner(self, endpoint)

    async def close(self) -> None:
        """Close every connection."""
        connections = list(self._connections.values())
        self._connections.clear()
        for connection in connections:
            connection.close()
        for connection in connections:
            await connection.wait_closed()

    async def connection(self, endpoint: Endpoint) -> asyncssh.SSHClientConnection:
        """Return the open connection of an endpoint, opening it when needed."""
        lock = self._locks.setdefault(endpoint, asyncio.Lock())
        async with lock:
            existing = self._connections.get(endpoint)
            if existing is not None and not existing.is_closed():
                return existing
            connection = await self._connect(endpoint)
            self._connections[endpoint] = connection
            return connection

    def channels(self, endpoint: Endpoint) -> asyncio.Semaphore:
        """Return the semaphore bounding concurrent commands on an endpoint."""
        return self._channels.setdefault(
            endpoint, asyncio.Semaphore(self._limits.max_channels)
        )

    def forget(self, endpoint: Endpoint) -> None:
        """Drop an endpoint's connection after a failure, so the next use reconnects."""
        connection = self._connections.pop(endpoint, None)
        if connection is not None:
            connection.close()

    async def _connect(self, endpoint: Endpoint) -> asyncssh.SSHClientConnection:
        trusted = parse_host_keys(endpoint.host_keys)
        client_key = asyncssh.import_private_key(endpoint.private_key)
        try:
            connection = await asyncssh.connect(
                endpoint.host,
                port=endpoint.port,
                username=endpoint.login,
                client_keys=[client_key],
                known_hosts=(trusted, [], []),
                agent_path=None,
                config=[],
                connect_timeout=self._limits.connect_timeout,
                keepalive_interval=30,
                keepalive_count_max=3,
            )
        except asyncssh.HostKeyNotVerifiable as error:
            raise await host_key_mismatch(endpoint.host, endpoint.port) from error
        except (OSError, asyncssh.Error, TimeoutError) as error:
            raise ConnectionFailed(
                f"cannot connect to {endpoint.label}: {describe(error)}"
            ) from error
        logger.info("ssh %s: connected", endpoint.label)
        return connection


class SshRunner:
    """Runs commands on one endpoint through the pool."""

    def __init__(self, pool: SshPool, endpoint: Endpoint) -> None:
        self._pool = pool
        self._endpoint = endpoint

    async def run(
        self, argv: Sequence[str], *, stdin: str | bytes | None = None
    ) -> CommandResult:
        command = to_shell(argv)
        logger.debug("ssh %s: run %s", self._endpoint.label, command)
        data = stdin.encode() if isinstance(stdin, str) else stdin
        async with self._pool.channels(self._endpoint):
            connection = await self._pool.connection(self._endpoint)
            try:
                process = await connection.run(
                    command,
                    input=data,
                    encoding=None,
                    check=False,
                    timeout=self._pool.command_timeout,
                )
            except (OSError, asyncssh.Error, TimeoutError) as error:
                self._pool.forget(self._endpoint)
                raise ConnectionFailed(
                    f"command on {self._endpoint.label} failed: {describe(error)}"
                ) from error

        result = CommandResult(
            stdout=_text(process.stdout),
            stderr=_text(process.stderr),
            exit_status=process.exit_status if process.exit_status is not None else -1,
        )
        logger.debug(
            "ssh %s: exit %s, stdout %r, stderr %r",
            self._endpoint.label,
            result.exit_status,
            result.stdout[:2000],
            result.stderr[:2000],
        )
        return result

    async def write_file(self, path: str, data: bytes, *, mode: int = 0o644) -> None:
        folder = posixpath.dirname(path)
        result = await self.run(["mkdir", "-p", "--", folder])
        if not result.ok:
            raise ConnectionFailed(
                f"cannot create {folder} on {self._endpoint.label}: "
                f"{result.stderr.strip()[:300]}"
            )
        # Write through a temporary name, so a reader never sees half a file.
        temporary = f"{path}.part"
        script = 'cat > "$1" && chmod "$2" "$1" && mv -f "$1" "$3"'
        argv = ["sh", "-c", script, "sh", temporary, format(mode, "o"), path]
        result = await self.run(argv, stdin=data)
        if not result.ok:
            raise ConnectionFailed(
                f"cannot write {path} on {self._endpoint.label}: "
                f"{result.stderr.strip()[:300]}"
            )


def parse_host_keys(text: str) -> list[asyncssh.SSHKey]:
    """Return the public keys of OpenSSH lines (`type base64 [comment]`)."""
    keys = []
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            keys.append(asyncssh.import_public_key(line.strip()))
    return keys


def trusted_host_keys(text: str, host: str, port: int) -> list[asyncssh.SSHKey]:
    """Return the host keys for host and port from public key or known_hosts lines.

    known_hosts lines may be hashed (`|1|salt|hash`), name `[host]:port`, or list
    several names; only the entries that match this host and port count.
    """
    try:
        return parse_host_keys(text)
    except (ValueError, asyncssh.KeyImportError):
        pass
    try:
        known = asyncssh.import_known_hosts(text)
    except (ValueError, asyncssh.KeyImportError) as error:
        raise ValueError(f"not public keys nor known_hosts lines: {error}") from error
    address = host if _is_address(host) else ""
    matched = asyncssh.match_known_hosts(known, host, address, port)[0]
    unique = {key.get_fingerprint("sha256"): key for key in matched}
    return list(unique.values())


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


async def fetch_host_key(host: str, port: int) -> asyncssh.SSHKey:
    """Return the host key a server presents, to record when a machine is added."""
    try:
        key = await asyncio.wait_for(
            asyncssh.get_server_host_key(host, port), timeout=HOST_KEY_TIMEOUT
        )
    except (OSError, asyncssh.Error, TimeoutError) as error:
        raise ConnectionFailed(
            f"cannot read the host key of {host}:{port}: {describe(error)}"
        ) from error
    if key is None:
        raise ConnectionFailed(f"{host}:{port} presented no host key")
    return key


async def host_key_mismatch(host: str, port: int) -> HostKeyMismatch:
    """Build the error for a host key other than the recorded one."""
    try:
        presented = (await fetch_host_key(host, port)).get_fingerprint("sha256")
    except ConnectionFailed:
        presented = "unknown"
    return HostKeyMismatch(
        f"the host key of {host}:{port} is not the one recorded for this machine "
        f"(it presented {presented}); if the cluster really changed its key, "
        "register the machine again with its new key"
    )


def describe(error: BaseException) -> str:
    """Return a short message for a low-level error, never empty."""
    text = str(error).strip()
    return text or type(error).__name__


def _text(value: str | bytes | None) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return value

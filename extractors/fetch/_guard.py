"""Address safety: which addresses may be connected to, checked before a request and again at
connect time, inside httpcore's connection pool.

`non_public_reason` says why an IP address is refused (an IPv6 address that carries an IPv4 one,
6to4, Teredo or NAT64, is judged by that IPv4 address); `AddressGuard` resolves a host once per
Fetcher and refuses it if any address is non-public ("localhost." and "127.0.0.1." are the hosts
"localhost" and "127.0.0.1"); `guarded_transport` is the httpx transport whose pool connects
only to the addresses the guard checked, so a DNS answer that changes between check and connect
gains nothing.
"""

from __future__ import annotations

import socket
from collections.abc import Iterable
from ipaddress import IPv4Address, IPv6Address, ip_address, ip_network
from urllib.parse import SplitResult

import anyio
import httpcore
import httpx

from extractors.errors import InvalidUrl, PrivateAddressRefused
from extractors.fetch.settings import FetchSettings

__all__ = ["AddressGuard", "guarded_transport", "host_port", "non_public_reason", "url_port"]

_METADATA_ADDRESSES = frozenset({ip_address("169.254.169.254"), ip_address("fd00:ec2::254")})
_SHARED_ADDRESS_SPACE = ip_network("100.64.0.0/10")  # carrier-grade NAT, RFC 6598
# NAT64's well-known prefix (RFC 6052) and its local-use prefix (RFC 8215): the IPv4 address
# the translator connects to is the last 32 bits.
_NAT64_PREFIXES = (ip_network("64:ff9b::/96"), ip_network("64:ff9b:1::/48"))


def non_public_reason(address: str) -> str | None:
    """Why a connection to this IP address is refused, or None for a public address."""
    ip = ip_address(address)
    if isinstance(ip, IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    elif isinstance(ip, IPv6Address) and (carried := _carried_ipv4(ip)):
        # A transition address ends at the IPv4 address it carries (6to4 of 127.0.0.1 is a way
        # to 127.0.0.1), so that address decides, whatever the IPv6 prefix itself is classed as.
        for how, ipv4 in carried:
            reason = non_public_reason(str(ipv4))
            if reason is not None:
                return f"{reason} ({how} {ipv4})"
        return None
    if ip in _METADATA_ADDRESSES:
        return "a cloud metadata address"
    kinds = (
        ("loopback", ip.is_loopback),
        ("unspecified", ip.is_unspecified),
        ("link-local", ip.is_link_local),
        ("multicast", ip.is_multicast),
        ("private", ip.is_private),
        ("reserved", ip.is_reserved),
        ("carrier-grade NAT", ip.version == 4 and ip in _SHARED_ADDRESS_SPACE),
    )
    for kind, matches in kinds:
        if matches:
            return f"a {kind} address"
    if not ip.is_global:
        return "not a globally routable address"
    return None


def _carried_ipv4(ip: IPv6Address) -> list[tuple[str, IPv4Address]]:
    """The IPv4 addresses a 6to4, Teredo or NAT64 address leads to, each with how it carries it."""
    if ip.sixtofour is not None:
        return [("6to4 of", ip.sixtofour)]
    if ip.teredo is not None:
        server, client = ip.teredo
        return [("Teredo server", server), ("Teredo client", client)]
    if any(ip in prefix for prefix in _NAT64_PREFIXES):
        return [("NAT64 of", IPv4Address(int(ip) & 0xFFFF_FFFF))]
    return []


class AddressGuard:
    """Resolves hosts and refuses non-public addresses, unless allowed by the settings.

    Checked addresses are kept for the Fetcher's lifetime: the connection pool connects to
    exactly these, so DNS cannot answer differently between the check and the connect.
    """

    def __init__(self, settings: FetchSettings):
        self._allow_all = settings.allow_private_hosts
        self._exceptions = frozenset(_exception_entry(entry) for entry in settings.private_host_exceptions)
        self._checked: dict[tuple[str, int], list[str]] = {}

    def exempt(self, host: str, port: int) -> bool:
        return self._allow_all or host_port(_without_root_dot(host), port) in self._exceptions

    async def checked_addresses(self, host: str, port: int, timeout: float | None) -> list[str]:
        """Every address of `host`, all public; raises PrivateAddressRefused, or httpcore's
        ConnectError / ConnectTimeout when the name does not resolve."""
        # Resolved without the root dot: getaddrinfo takes "127.0.0.1." for a DNS name, not an
        # address, and may not find "localhost." in /etc/hosts; left unresolved, both would pass
        # this check as "unreachable" and reach whatever a resolver later made of them.
        name = _without_root_dot(host)
        key = (name, port)
        if key not in self._checked:
            addresses = await _resolve(name, port, timeout)
            for address in addresses:
                reason = non_public_reason(address)
                if reason is not None:
                    raise PrivateAddressRefused(
                        f"{host_port(host, port)} resolves to {address}, {reason}; "
                        "private hosts are fetched only when allowed (NEWSMON_ALLOW_PRIVATE_HOSTS=1)"
                    )
            self._checked[key] = addresses
        return self._checked[key]


async def _resolve(host: str, port: int, timeout: float | None) -> list[str]:
    try:
        with anyio.fail_after(timeout):
            infos = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except TimeoutError as error:
        raise httpcore.ConnectTimeout(f"resolving {host} took longer than {timeout}s") from error
    except UnicodeError as error:  # anyio encodes host names with IDNA 2008, stricter than urls.py's check
        raise InvalidUrl(f"{host} is not a valid IDNA 2008 host name: {error}") from error
    except OSError as error:  # socket.gaierror
        raise httpcore.ConnectError(f"cannot resolve {host}: {error}") from error
    return list(dict.fromkeys(info[4][0] for info in infos))


class _GuardedNetwork(httpcore.AsyncNetworkBackend):
    """httpcore's network layer with the address guard in front of every TCP connect."""

    def __init__(self, guard: AddressGuard):
        self._guard = guard
        self._network = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        if self._guard.exempt(host, port):
            # Without the root dot, as checked_addresses resolves names.
            return await self._network.connect_tcp(
                _without_root_dot(host),
                port,
                timeout=timeout,
                local_address=local_address,
                socket_options=socket_options,
            )
        failures: list[Exception] = []
        # TLS still verifies `host`: httpcore passes it as server_hostname to start_tls.
        for address in await self._guard.checked_addresses(host, port, timeout):
            try:
                return await self._network.connect_tcp(
                    address, port, timeout=timeout, local_address=local_address, socket_options=socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as error:
                failures.append(error)
        raise failures[-1]

    async def sleep(self, seconds: float) -> None:
        await self._network.sleep(seconds)


def guarded_transport(settings: FetchSettings, guard: AddressGuard) -> httpx.AsyncHTTPTransport:
    """The default transport: httpx's, with the guard in front of every connect."""
    transport = httpx.AsyncHTTPTransport(trust_env=False)
    # httpx 0.28 has no public option for httpcore's network backend; the transport's
    # connection pool is its only user of it, so that pool is replaced by a guarded one.
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=httpx.create_ssl_context(trust_env=False),
        # Requests in flight are bounded by Politeness (max_concurrency); the pool only bounds the
        # idle connections it keeps. Bounding all connections by max_concurrency made a run over
        # more origins than that close one origin's connection to open another's, every request.
        max_connections=None,
        max_keepalive_connections=settings.max_idle_connections,
        network_backend=_GuardedNetwork(guard),
    )
    return transport


def url_port(parts: SplitResult) -> int:
    """The URL's port, or its scheme's default."""
    return parts.port or (443 if parts.scheme.lower() == "https" else 80)


def host_port(host: str, port: int) -> str:
    """The form `private_host_exceptions` uses: host:port, an IPv6 host in brackets."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _without_root_dot(host: str) -> str:
    """A host name lowercased, without the trailing dot of a fully qualified name:
    "LocalHost." and "localhost" are one host."""
    return host.lower().removesuffix(".")


def _exception_entry(entry: str) -> str:
    """A `private_host_exceptions` entry as `exempt` compares it: "LocalHost.:8080" is "localhost:8080"."""
    host, _, port = entry.rpartition(":")
    return f"{_without_root_dot(host)}:{port}"

"""Where a target's server answers: the Endpoint handed to a driver profile's connect().

Shapes only; starting servers is harness/servers.py.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

#: Server kinds, as used in target ids and reports.
SERVER_KINDS = ("mock", "container", "url", "none")


class ServerUnavailable(Exception):
    """A server backend cannot be had here (no mock server module, no Docker engine, ...).

    Tests that need it are skipped with ``str(exc)`` as the reason; it is not a failure of
    the driver under test.
    """


@dataclass
class Endpoint:
    """A running server (or none, for an embedded database).

    - ``kind``: "mock", "container", "url" or "none" (SERVER_KINDS).
    - ``url``: e.g. ``"http://127.0.0.1:54321"``; None for kind "none".
    - ``host``, ``port``: parsed from ``url`` (port is the TCP port, an int).
    - ``user``, ``password``: credentials to log in with (None = the driver's default).
    - ``product``: human-readable server product (with " mock" for a mock server).
    - ``version``: the server's version string once known, else None.
    - ``data_dir``: a scratch directory private to this endpoint (embedded databases keep
      their files there); None when the server keeps its own data.
    - ``timeout``: seconds a driver may wait on the network, handed to drivers whose
      connect() takes a timeout (the built-in profiles do); None = the driver's default.
    """

    kind: str
    url: str | None = None
    host: str | None = None
    port: int | None = None
    user: str | None = None
    password: str | None = None
    product: str | None = None
    version: str | None = None
    data_dir: Path | None = None
    timeout: float | None = None
    #: True once the harness asked the server for its version (asked at most once).
    version_probed: bool = field(default=False, repr=False)

    @property
    def address(self) -> str | None:
        """``"host:port"``, the form socket-level drivers take, or None."""
        if self.host is None or self.port is None:
            return None
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    def moved_to(self, host: str, port: int) -> Endpoint:
        """A copy of this endpoint at ``host:port`` (same scheme, path and credentials)."""
        url = self.url
        if url is not None:
            parts = urlsplit(url)
            netloc = f"[{host}]" if ":" in host else host
            url = f"{parts.scheme}://{netloc}:{port}{parts.path}"
        return dataclasses.replace(self, url=url, host=host, port=port, version=None,
                                   version_probed=True)

    def describe(self) -> dict[str, str | None]:
        """The report's view: kind, url (credentials removed), product, version."""
        return {
            "kind": self.kind,
            "url": self.url,
            "product": self.product,
            "version": self.version,
        }


def endpoint_from_url(
    spec: str,
    *,
    kind: str = "url",
    scheme: str | None = None,
    default_port: int | None = None,
    default_user: str | None = None,
    product: str | None = None,
) -> Endpoint:
    """Parse a server spec, ``scheme://[user[:pw]@]host[:port][/...]`` or ``host[:port]``.

    ``scheme`` completes a spec without one (the database's, such as ``tcp``). The returned
    ``url`` carries no credentials. ValueError when there is no host, the port is not a
    number in 1..65535, or the spec has no scheme and none is given.
    """
    text = spec.strip()
    if "://" not in text:
        if scheme is None:
            raise ValueError(f"server address {spec!r} has no scheme, and the database is "
                             "unknown to the harness: give one, e.g. tcp://host:port")
        text = f"{scheme}://{text}"
    parts = urlsplit(text)
    try:
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"bad port in server address {spec!r}: {exc}") from None
    if not parts.hostname:
        raise ValueError(f"no host in server address {spec!r}")
    port = port or default_port
    host = parts.hostname
    netloc = f"[{host}]" if ":" in host else host
    if port:
        netloc += f":{port}"
    path = parts.path.rstrip("/")
    return Endpoint(
        kind=kind,
        url=f"{parts.scheme}://{netloc}{path}",
        host=host,
        port=port,
        user=unquote(parts.username) if parts.username else default_user,
        password=unquote(parts.password) if parts.password else None,
        product=product,
    )

"""How the HTTP client reaches a server: TLS trust and proxies, read from the environment.

The client talks to ``urllib3`` directly (the transport ``requests`` itself uses, without
its ~0.5 ms of bookkeeping per call, a third of a page's cost). What ``requests`` gave for
free, and a pod relies on, is kept here, decided once per origin:

- HTTPS is verified against ``REQUESTS_CA_BUNDLE``, else ``CURL_CA_BUNDLE``, else
  ``SSL_CERT_FILE`` (a file of certificates, or a folder of them), else ``certifi``'s
  bundle: the order ``requests`` reads them in (which does not read ``SSL_CERT_FILE``;
  OpenSSL tools do). A variable naming a path that does not exist is a
  :class:`ConfigError` (78) at the first HTTPS request.
- ``HTTP_PROXY`` / ``HTTPS_PROXY`` / ``ALL_PROXY`` (lower case too, which wins) choose a
  proxy by the URL's scheme, through :func:`urllib.request.getproxies`, as ``requests``
  does; ``NO_PROXY`` (``*``, hosts, domains such as ``.svc``, ``host:port``) is applied
  by :func:`urllib.request.proxy_bypass`, plus IP networks in CIDR form (``10.0.0.0/8``),
  as ``requests`` adds. HTTPS goes through an HTTP proxy in a ``CONNECT`` tunnel; a
  ``user:password@`` in the proxy URL is sent to the proxy only, as
  ``Proxy-Authorization``. A SOCKS proxy (which ``requests`` needs an extra for) is a
  :class:`ConfigError`.

Not honoured: ``~/.netrc`` (credentials come from ``CADENCIA_HTTP_*`` only).
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import os
import urllib.request
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote, urlsplit

import urllib3
from urllib3.exceptions import ProxySchemeUnknown
from urllib3.util import make_headers

from steps._core.errors import ConfigError
from steps._core.urls import origin

logger = logging.getLogger(__name__)

CA_VARIABLES = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE")


def tls_trust(environ: Mapping[str, str]) -> dict[str, str]:
    """urllib3's ``ca_certs`` or ``ca_cert_dir``: the first of :data:`CA_VARIABLES` set,
    else certifi's bundle."""
    for name in CA_VARIABLES:
        path = environ.get(name, "").strip()
        if not path:
            continue
        if os.path.isdir(path):
            return {"ca_cert_dir": path}
        if os.path.isfile(path):
            return {"ca_certs": path}
        raise ConfigError(f"{name}={path} is neither a file nor a folder of CA certificates",
                          setting=name)
    import certifi

    return {"ca_certs": certifi.where()}


def proxy_for(url: str, proxies: Mapping[str, str]) -> str | None:
    """The proxy ``url`` goes through (its scheme's, else ``all``'s), or None when there is
    none or ``NO_PROXY`` covers its host."""
    parts = urlsplit(url)
    proxy = proxies.get(parts.scheme) or proxies.get("all")
    host = parts.hostname
    if not proxy or not host or _bypassed(host, parts.port, proxies.get("no", "")):
        return None
    return proxy if "://" in proxy else f"http://{proxy}"


def _bypassed(host: str, port: int | None, no_proxy: str) -> bool:
    if urllib.request.proxy_bypass(f"{host}:{port}" if port else host):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    for entry in no_proxy.replace(" ", "").split(","):
        if "/" in entry:
            with contextlib.suppress(ValueError):
                if address in ipaddress.ip_network(entry, strict=False):
                    return True
    return False


class Transport:
    """urllib3 managers, one per route (direct or a proxy, plain or TLS), chosen once per
    origin."""

    def __init__(self, *, headers: Mapping[str, str], timeout: urllib3.Timeout) -> None:
        self._common: dict[str, Any] = {"headers": headers, "timeout": timeout}
        self._proxies = urllib.request.getproxies()
        self._routes: dict[str, urllib3.PoolManager] = {}  # origin -> its manager
        self._managers: dict[tuple[str | None, bool], urllib3.PoolManager] = {}

    def get(self, url: str, headers: Mapping[str, str] | None = None
            ) -> urllib3.BaseHTTPResponse:
        """Send a GET and return the response with its body unread. urllib3 neither retries
        nor follows redirects: the client decides both."""
        manager = self._routes.get(origin(url)) or self._route(url)
        extra = {} if headers is None else {"headers": headers}
        return manager.urlopen("GET", url, redirect=False, retries=False,
                               preload_content=False, **extra)

    def _route(self, url: str) -> urllib3.PoolManager:
        key = proxy_for(url, self._proxies), url.startswith("https:")
        manager = self._managers.get(key)
        if manager is None:
            manager = self._managers[key] = self._manager(*key)
        self._routes[origin(url)] = manager
        return manager

    def _manager(self, proxy: str | None, tls: bool) -> urllib3.PoolManager:
        kw = {**self._common, **(tls_trust(os.environ) if tls else {})}
        if proxy is None:
            return urllib3.PoolManager(**kw)
        parts = urllib3.util.parse_url(proxy)
        auth = make_headers(proxy_basic_auth=unquote(parts.auth)) if parts.auth else None
        try:
            manager = urllib3.ProxyManager(proxy, proxy_headers=auth, **kw)
        except ProxySchemeUnknown:
            raise ConfigError(f"proxy {origin(proxy)}: only http:// and https:// proxies are "
                              "supported", proxy=origin(proxy)) from None
        logger.info("GETs go through the proxy %s", origin(proxy),
                    extra={"proxy": origin(proxy)})
        return manager

    def close(self) -> None:
        for manager in self._managers.values():
            manager.clear()

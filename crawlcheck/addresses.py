"""Which hosts crawlcheck refuses to fetch from when a site points it there (SSRF), and why.

A website is hostile input (docs/crawl.md, "Addresses crawlcheck refuses"): its robots.txt ``License:`` and ``Sitemap:``
lines, its pages' licence links and its redirects name URLs that crawlcheck then fetches.
Pointed at ``http://169.254.169.254/latest/meta-data/`` (a cloud's instance metadata) or at
``http://127.0.0.1:6379/`` (a service on the auditing machine), that fetch would reach what
only the machine running crawlcheck can reach. So, unless the user allows it, crawlcheck
fetches only globally reachable unicast addresses (``ipaddress``'s ``is_global``, which
follows IANA's special-purpose registries, RFC 6890) and the audited origin itself.

Pure: this module reads host names and addresses; :mod:`crawlcheck.crawl.guard` applies it
to every request (after resolving a name itself when no proxy is in use).
"""

from __future__ import annotations

import ipaddress
import re
import socket
import unicodedata
from urllib.parse import unquote, urlsplit

__all__ = [
    "IPAddress",
    "address_refusal",
    "host_refusal",
    "is_audited_origin",
    "literal_address",
    "url_refusal",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

#: Names that always mean the machine itself or a private network, whoever resolves them
#: (a proxy too): RFC 6761 §6.3 (localhost), RFC 6762 (.local, multicast DNS), RFC 8375
#: (home.arpa), ICANN's private-use .internal (2024), and the cloud metadata services' names.
_PRIVATE_NAMES = frozenset(
    {
        "metadata",  # Google Compute Engine's short name
        "metadata.google.internal",
        "metadata.goog",
        "instance-data",  # Amazon EC2
        "instance-data.ec2.internal",
    }
)
_PRIVATE_SUFFIXES = ("localhost", "local", "internal", "home.arpa")

#: Cloud instance-metadata addresses, named in the reason (all are non-global anyway).
_METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(text)
    for text in (
        "169.254.169.254",  # AWS, Google Cloud, Azure, Oracle, DigitalOcean, OpenStack
        "169.254.170.2",  # AWS ECS task metadata
        "fd00:ec2::254",  # AWS over IPv6
        "100.100.100.200",  # Alibaba Cloud
        "192.0.0.192",  # Oracle Cloud
    )
)
#: IPv4 in the forms inet_aton (and so getaddrinfo, and many proxies) reads as an address:
#: ``2130706433``, ``0x7f.1``, ``0177.0.0.1``, ``127.1``.
_IPV4_LIKE = re.compile(r"^(0x[0-9a-f]*|[0-9]+)(\.(0x[0-9a-f]*|[0-9]+)){0,3}$")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def literal_address(host: str) -> IPAddress | None:
    """Return the address *host* spells (in any form a resolver accepts), else None.

    >>> str(literal_address("0x7f.1")), str(literal_address("[::ffff:127.0.0.1]"))
    ('127.0.0.1', '::ffff:7f00:1')
    >>> literal_address("example.com") is None
    True
    """
    text = _normal_host(host)
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        pass
    if _IPV4_LIKE.match(text):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(text))
        except OSError:
            return None
    return None


def address_refusal(address: IPAddress) -> str | None:
    """Return why crawlcheck does not connect to *address* unasked, or None when it may.

    >>> address_refusal(ipaddress.ip_address("169.254.169.254"))
    'a cloud instance-metadata address'
    >>> address_refusal(ipaddress.ip_address("93.184.215.14")) is None
    True
    """
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address in _NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            inner = address_refusal(embedded)
            if inner is not None:
                return f"an IPv6 form of {embedded}, {inner}"
        if address.scope_id:
            return "a link-local address"
    if address in _METADATA_ADDRESSES:
        return "a cloud instance-metadata address"
    if address.is_unspecified:
        return "the unspecified address (this machine)"
    if address.is_loopback:
        return "a loopback address (this machine)"
    if address.is_link_local:
        return "a link-local address"
    if isinstance(address, ipaddress.IPv4Address) and address in _SHARED:
        return "a carrier-grade NAT address (RFC 6598)"
    if address.is_multicast:
        return "a multicast address"
    if address.is_reserved:
        return "a reserved address"
    if address.is_private:
        return "a private-network address (RFC 1918, RFC 4193 or another non-public range)"
    if not address.is_global:
        return "a non-public address (IANA special-purpose registry)"
    return None


_SHARED = ipaddress.ip_network("100.64.0.0/10")


def host_refusal(host: str) -> str | None:
    """Return why crawlcheck does not fetch from *host* unasked, judging the name alone.

    IP addresses in every spelling, localhost and private-use names, and cloud metadata
    names are judged; any other name is judged by the addresses it resolves to
    (:func:`address_refusal`), which only the one who connects can do.

    >>> host_refusal("metadata.google.internal")
    'metadata.google.internal is a cloud instance-metadata name'
    >>> host_refusal("2130706433")
    '2130706433 is 127.0.0.1, a loopback address (this machine)'
    """
    text = _normal_host(host)
    address = literal_address(text)
    if address is not None:
        reason = address_refusal(address)
        if reason is None:
            return None
        shown = str(address)
        return f"{shown} is {reason}" if shown == text else f"{text} is {shown}, {reason}"
    if text in _PRIVATE_NAMES:
        return f"{text} is a cloud instance-metadata name"
    for suffix in _PRIVATE_SUFFIXES:
        if text == suffix or text.endswith("." + suffix):
            return f"{text} is a name for this machine or a private network (.{suffix})"
    return None


def url_refusal(url: str, site: str | None, *, allow_private: bool = False) -> str | None:
    """Return why *url* is not fetched for the audit of origin *site*, or None when it may be.

    The audited origin itself (same scheme-less host and port) is always fetched: the user
    asked for it, wherever it is. *allow_private* lifts the rule.

    >>> url_refusal("http://169.254.169.254/latest/meta-data/", "https://example.com")
    '169.254.169.254 is a cloud instance-metadata address'
    >>> url_refusal("http://127.0.0.1:8080/x", "http://127.0.0.1:8080") is None
    True
    """
    if allow_private:
        return None
    authority = _authority(url)
    if authority is None:
        return None  # not an http(s) URL with a host: the fetch itself will fail
    if site is not None and authority == _authority(site):
        return None
    return host_refusal(authority[0])


def is_audited_origin(url: str, site: str | None) -> bool:
    """Return True when *url* is on the audited origin *site* (same host and port).

    >>> is_audited_origin("http://Example.com:80/x", "http://example.com")
    True
    """
    authority = _authority(url)
    return authority is not None and site is not None and authority == _authority(site)


def _authority(url: str) -> tuple[str, int] | None:
    try:
        parts = urlsplit(url)
        host = parts.hostname
        port = parts.port
    except ValueError:
        return None
    if not host or parts.scheme not in ("http", "https"):
        return None
    return _normal_host(host), port or (443 if parts.scheme == "https" else 80)


def _normal_host(host: str) -> str:
    """Return *host* as resolvers read it: decoded, NFKC, lower case, no brackets or root dot."""
    text = unicodedata.normalize("NFKC", unquote(host)).strip().lower()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    return text.removesuffix(".")

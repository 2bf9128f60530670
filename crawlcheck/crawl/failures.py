"""What went wrong with a fetch: the error codes of ``Fetched.error`` (docs/crawl.md).

Pure (no Scrapy import): exceptions are recognised by class name, so the codes can be
read anywhere.
"""

from __future__ import annotations

from crawlcheck.crawl.content import CONTENT_ENCODING

# Machine codes of Fetched.error (docs/crawl.md, "Errors").
TIMEOUT = "timeout"
DNS = "dns"
CONNECTION = "connection"
INCOMPLETE = "incomplete"
TLS = "tls"
PROXY = "proxy"
TOO_MANY_REDIRECTS = "too-many-redirects"
REDIRECT_LOOP = "redirect-loop"
REDIRECT_INVALID = "redirect-invalid"
OFFSITE_REDIRECT = "offsite-redirect"
HEADERS_TOO_LARGE = "headers-too-large"
ROBOTS_DISALLOWED = "robots-disallowed"
ROBOTS_UNREACHABLE = "robots-unreachable"
INVALID_URL = "invalid-url"
BLOCKED_ADDRESS = "blocked-address"
OTHER = "error"

__all__ = [
    "BLOCKED_ADDRESS",
    "CONNECTION",
    "CONTENT_ENCODING",
    "DNS",
    "HEADERS_TOO_LARGE",
    "INCOMPLETE",
    "INVALID_URL",
    "OFFSITE_REDIRECT",
    "OTHER",
    "PROXY",
    "REDIRECT_INVALID",
    "REDIRECT_LOOP",
    "ROBOTS_DISALLOWED",
    "ROBOTS_UNREACHABLE",
    "TIMEOUT",
    "TLS",
    "TOO_MANY_REDIRECTS",
    "failure_code",
]


#: Exception class names (anywhere in the MRO) and the error code each means.
_FAILURE_NAMES: tuple[tuple[frozenset[str], str], ...] = (
    (frozenset({"BlockedAddressError"}), BLOCKED_ADDRESS),
    (frozenset({"TunnelError"}), PROXY),
    (frozenset({"CannotResolveHostError", "DNSLookupError", "NoResolverError"}), DNS),
    (
        frozenset({"DownloadTimeoutError", "TimeoutError", "TCPTimedOutError", "UserTimeoutError"}),
        TIMEOUT,
    ),
    (frozenset({"ResponseDataLossError", "_DataLoss", "PotentialDataLoss"}), INCOMPLETE),
    (frozenset({"SSLError", "CertificateError", "VerifyError"}), TLS),
    (
        frozenset(
            {
                "DownloadConnectionRefusedError",
                "ConnectionRefusedError",
                "ConnectError",
                "ConnectionLost",
                "ConnectionDone",
                "ConnectionAborted",
                "ResponseNeverReceived",
                "ResponseFailed",
                "DownloadFailedError",
                "ConnectionResetError",
            }
        ),
        CONNECTION,
    ),
)


def failure_code(exc: BaseException) -> str:
    """Return the error code of a download exception (by class name, so no Twisted import).

    The exception's causes (``__cause__``, Twisted's ``reasons``) are searched first, so a
    generic wrapper such as ``DownloadFailedError`` reports the TLS or data-loss failure
    inside it.
    """
    chain = list(_causes(exc, depth=4))
    for names, code in _FAILURE_NAMES:
        for item in chain:
            if names & {cls.__name__ for cls in type(item).__mro__}:
                return code
            if code == TLS and type(item).__module__.startswith("OpenSSL"):
                return TLS
    return OTHER


def _causes(exc: BaseException, depth: int) -> list[BaseException]:
    """Return *exc*'s causes, innermost first, then *exc* itself."""
    found: list[BaseException] = []
    if depth > 0:
        inner: list[object] = [exc.__cause__, *(getattr(exc, "reasons", None) or ())]
        for item in inner:
            value = getattr(item, "value", item)  # a Twisted Failure wraps its exception
            if isinstance(value, BaseException):
                found.extend(_causes(value, depth - 1))
    found.append(exc)
    return found

"""Who really sent a mail: the receiving server's ``Authentication-Results`` (RFC 8601), read with care.

The hub sees a mail after delivery, without the connection it came over, so it cannot
check SPF, DKIM or DMARC itself. The receiving mail server can, and writes its verdict
into an ``Authentication-Results`` header that starts with its name (the authserv-id).
But anyone can write such a header into the mail they send, so:

- a pass counts only from a header of a trusted authserv-id (the instance's own mail
  servers), and of those only the topmost: the receiving server puts its header on top,
  a forged one sits below it;
- when such a header is there, it alone decides;
- without one, a failure still counts from any header (a forger gains nothing by failing
  their own mail), a pass never does;
- a pass must be for the sender's own domain: DMARC, or DKIM or SPF aligned with the
  From address (the same domain, or one a sub-domain of the other).

    verdict = sender_verdict(parsed.authentication_results, "example.org", ["mx.hub.test"])
    verdict.result   # "pass", "fail" or "none"
    verdict.note     # "dmarc=pass header.from=example.org (mx.hub.test)"
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

__all__ = ["AuthHeader", "AuthResult", "SenderVerdict", "parse_authentication_results", "sender_verdict"]

METHODS = ("dmarc", "dkim", "spf")
"""The methods that say who sent a mail; others (arc, auth, iprev) are read but do not decide."""
_PROPERTY_SHOWN = {"dmarc": "header.from", "dkim": "header.d", "spf": "smtp.mailfrom"}


@dataclass(frozen=True)
class AuthResult:
    method: str
    """Lower-cased: ``dmarc``, ``dkim``, ``spf``, ..."""
    result: str
    """Lower-cased: ``pass``, ``fail``, ``none``, ``softfail``, ``temperror``, ..."""
    properties: Mapping[str, str] = field(default_factory=dict)
    """``header.from``, ``header.d``, ``header.i``, ``smtp.mailfrom``: the values as written."""

    def domain(self) -> str:
        """The domain this result is about, for alignment with the From address."""
        for name in ("header.from", "header.d", "header.i", "smtp.mailfrom", "smtp.helo"):
            value = self.properties.get(name, "")
            if value:
                return value.rsplit("@", 1)[-1].strip().strip(".").lower()
        return ""

    def text(self) -> str:
        shown = _PROPERTY_SHOWN.get(self.method, "")
        value = self.properties.get(shown) or (self.properties.get("header.i") if self.method == "dkim" else "")
        return f"{self.method}={self.result}" + (f" {shown or 'header.i'}={value}" if value else "")


@dataclass(frozen=True)
class AuthHeader:
    authserv_id: str
    """Lower-cased; empty when the header names no server (Exchange Online writes such)."""
    results: tuple[AuthResult, ...]


@dataclass(frozen=True)
class SenderVerdict:
    result: str
    """``pass`` (the sender is proven), ``fail`` (a check failed: likely forged) or ``none``."""
    note: str
    """What decided, for the audit and the event list."""


# ------------------------------------------------------------------------------ parsing


def parse_authentication_results(value: str) -> AuthHeader | None:
    """One header's value; None when it is not readable as RFC 8601."""
    statements = _split(_without_comments(value))
    if not statements or not statements[0]:
        return None
    first = statements[0].split()
    if "=" in first[0]:
        authserv_id, resinfos = "", statements  # no authserv-id: every statement is a result
    else:
        authserv_id, resinfos = first[0].lower(), statements[1:]
    results = tuple(result for result in map(_result, filter(None, resinfos)) if result is not None)
    return AuthHeader(authserv_id=authserv_id[:255], results=results)


def _without_comments(value: str) -> str:
    """The value without (comments), which may nest; quoted strings are kept whole."""
    out: list[str] = []
    depth, quoted, escaped = 0, False, False
    for char in value:
        if escaped:
            escaped = False
            if depth == 0:
                out.append(char)
            continue
        if char == "\\":
            escaped = True
            if depth == 0:
                out.append(char)
        elif quoted:
            quoted = char != '"'
            out.append(char)
        elif char == '"' and depth == 0:
            quoted = True
            out.append(char)
        elif char == "(":
            depth += 1
        elif char == ")" and depth:
            depth -= 1
        elif depth == 0:
            out.append(char)
    return " ".join("".join(out).split())


def _split(value: str) -> list[str]:
    """Statements separated by ';' outside quoted strings."""
    parts: list[str] = []
    current: list[str] = []
    quoted = False
    for char in value:
        if char == '"':
            quoted = not quoted
        if char == ";" and not quoted:
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    parts.append("".join(current).strip())
    return parts


def _result(statement: str) -> AuthResult | None:
    tokens = statement.split()
    if not tokens or "=" not in tokens[0]:
        return None  # "none": the server checked nothing
    method, _, result = tokens[0].partition("=")
    properties = {}
    for token in tokens[1:]:
        name, equals, token_value = token.partition("=")
        if equals and "." in name:
            properties[name.lower()] = token_value.strip('"')
    return AuthResult(method=method.split("/", 1)[0].lower(), result=result.strip('"').lower(),
                      properties=properties)


# ------------------------------------------------------------------------------ deciding


def sender_verdict(values: Iterable[str], from_domain: str, trusted_ids: Iterable[str]) -> SenderVerdict:
    """Whether the mail's headers prove it comes from ``from_domain``; ``values`` topmost first."""
    headers = [header for header in map(parse_authentication_results, values) if header is not None]
    trusted = {name.strip().lower() for name in trusted_ids if name.strip()}
    domain = from_domain.strip().lower()
    own = next((header for header in headers if header.authserv_id and header.authserv_id in trusted), None)
    if own is not None:
        return _decide(own, domain)
    failed = sorted(((header, result) for header in headers for result in header.results
                     if result.method in METHODS and result.result == "fail"),
                    key=lambda found: METHODS.index(found[1].method))
    if failed:
        header, result = failed[0]
        return SenderVerdict("fail", f"{result.text()} ({header.authserv_id or 'unnamed server'}; "
                             "not a trusted server, but a failure counts from anyone)")
    if not trusted:
        return SenderVerdict("none", "no trusted mail server is configured (trusted_authserv_ids), so no "
                             "Authentication-Results can prove the sender")
    return SenderVerdict("none", f"no Authentication-Results from {', '.join(sorted(trusted))}")


def _decide(header: AuthHeader, domain: str) -> SenderVerdict:
    by = header.authserv_id
    deciding = [result for result in header.results if result.method in METHODS]
    dmarc = [result for result in deciding if result.method == "dmarc" and _aligned(result.domain() or domain, domain)]
    for wanted in ("pass", "fail"):
        found = next((result for result in dmarc if result.result == wanted), None)
        if found is not None:
            return SenderVerdict(wanted, f"{found.text()} ({by})")
    aligned_pass = next((result for result in deciding if result.method in ("dkim", "spf")
                         and result.result == "pass" and _aligned(result.domain(), domain)), None)
    if aligned_pass is not None:
        return SenderVerdict("pass", f"{aligned_pass.text()} ({by})")
    failed = next((result for result in deciding if result.result == "fail"), None)
    if failed is not None:
        return SenderVerdict("fail", f"{failed.text()} ({by})")
    said = ", ".join(result.text() for result in deciding) or "nothing about the sender"
    return SenderVerdict("none", f"{said} ({by}): no pass for {domain or 'the From domain'}")


def _aligned(one: str, other: str) -> bool:
    """The same domain, or one a sub-domain of the other (DMARC's relaxed alignment, without
    the public-suffix list: a shorter name must still have a dot, so no TLD aligns)."""
    if not one or not other:
        return False
    if one == other:
        return True
    shorter, longer = sorted((one, other), key=len)
    return "." in shorter and longer.endswith("." + shorter)

"""hub.sdk.mailauth: Authentication-Results as servers write them, and what proves a sender."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.sdk.mailauth import parse_authentication_results, sender_verdict

GMAIL = ("mx.google.com;\r\n       dkim=pass header.i=@example.org header.s=20230601 header.b=AbCdEf12;\r\n"
         "       spf=pass (google.com: domain of maria@example.org designates 192.0.2.10 as permitted sender) "
         "smtp.mailfrom=maria@example.org;\r\n       dmarc=pass (p=REJECT sp=REJECT dis=NONE) header.from=example.org")
OPENDMARC_FAIL = "mx.hub.test; dmarc=fail (p=none dis=none) header.from=example.org"
EXCHANGE = ("spf=pass (sender IP is 192.0.2.1) smtp.mailfrom=contoso.com; dkim=pass (signature was verified) "
            "header.d=contoso.com;dmarc=pass action=none header.from=contoso.com;compauth=pass reason=100")


def test_headers_are_read_as_servers_write_them() -> None:
    gmail = parse_authentication_results(GMAIL)
    assert gmail is not None and gmail.authserv_id == "mx.google.com"
    assert [(r.method, r.result, r.domain()) for r in gmail.results] == [
        ("dkim", "pass", "example.org"), ("spf", "pass", "example.org"), ("dmarc", "pass", "example.org")]
    exchange = parse_authentication_results(EXCHANGE)
    assert exchange is not None and exchange.authserv_id == ""  # Exchange Online names no server
    assert [r.method for r in exchange.results] == ["spf", "dkim", "dmarc", "compauth"]
    nothing = parse_authentication_results("mx.hub.test 1; none")
    assert nothing is not None and nothing.results == ()
    quoted = parse_authentication_results('mx.hub.test; dkim=pass header.d="mail.example.org" (a ; "b" (c))')
    assert quoted is not None and quoted.results[0].domain() == "mail.example.org"


@pytest.mark.parametrize(("headers", "trusted", "result"), [
    ([GMAIL], ["mx.google.com"], "pass"),
    ([GMAIL], [], "none"),  # a pass from a server nobody named proves nothing
    ([GMAIL], ["mx.hub.test"], "none"),
    ([OPENDMARC_FAIL], [], "fail"),  # a failure counts from anyone
    ([OPENDMARC_FAIL, "mx.hub.test; dmarc=pass header.from=example.org"], ["mx.hub.test"], "fail"),  # topmost
    (["mx.hub.test; dmarc=pass header.from=example.org", OPENDMARC_FAIL], ["mx.hub.test"], "pass"),
    (["mx.hub.test; dkim=pass header.d=evil.example; spf=pass smtp.mailfrom=x@evil.example"], ["mx.hub.test"],
     "none"),  # passes, but for another domain
    (["mx.hub.test; dkim=pass header.d=mail.example.org"], ["mx.hub.test"], "pass"),  # a sub-domain aligns
    (["mx.hub.test; dkim=pass header.d=org"], ["mx.hub.test"], "none"),  # a top-level domain never does
    (["mx.hub.test; dkim=fail header.d=example.org; spf=pass smtp.mailfrom=example.org"], ["mx.hub.test"], "pass"),
    (["mx.hub.test; spf=softfail smtp.mailfrom=example.org"], ["mx.hub.test"], "none"),
    ([], ["mx.hub.test"], "none"),
])
def test_what_proves_a_sender(headers: list[str], trusted: list[str], result: str) -> None:
    assert sender_verdict(headers, "example.org", trusted).result == result


@given(st.lists(st.text(max_size=300), max_size=5), st.text(max_size=50))
def test_any_header_text_gives_a_verdict(headers: list[str], domain: str) -> None:
    verdict = sender_verdict(headers, domain, ["mx.hub.test"])
    assert verdict.result in ("pass", "fail", "none") and isinstance(verdict.note, str)

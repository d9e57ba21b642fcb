"""OPC UA security against a real asyncua server (tests/support/opcua_server.py) that requires
each mode and policy in turn: the hub's certificate made on save, the trust list both ways,
user name and certificate login, and readable refusals."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from asyncua import ua

from connectors.opcua.ack import acknowledge_condition
from connectors.opcua.certificates import (
    certificate_der,
    certificate_from_pem,
    make_application_certificate,
    thumbprint,
)
from connectors.opcua.connector import OpcUaConfig, OpcUaConnector
from connectors.opcua.security import ClientSecurity
from connectors.opcua.uaclient import ConditionEvent, stream_conditions
from hub.sdk import AuthenticationError, InstanceInfo
from tests.support.opcua_server import FILLER, OpcUaAlarmServer, pem_of
from tests.support.waiting import scaled

P = ua.SecurityPolicyType
Server = Callable[..., OpcUaAlarmServer]


@pytest.fixture
def start_server() -> Iterator[Server]:
    started: list[OpcUaAlarmServer] = []

    def start(**options: Any) -> OpcUaAlarmServer:
        started.append(OpcUaAlarmServer(**options).start())
        return started[-1]

    yield start
    for server in started:
        server.stop()


def connector(server: OpcUaAlarmServer, **config: Any) -> OpcUaConnector:
    """An instance's connector with its config loaded (and completed) as a save does."""
    loaded = OpcUaConfig().load({"endpoint_url": server.url, **config})
    info = InstanceInfo(id=1, slug="press", name="press", connector="opcua", enabled=True, department=None,
                        config=loaded)
    return OpcUaConnector(instance=info, config=loaded)


def trusted_by(server: OpcUaAlarmServer, **config: Any) -> OpcUaConnector:
    """A connector that trusts ``server`` and that ``server`` trusts: the finished exchange."""
    conn = connector(server, trusted_servers=[pem_of(server.certificate)], **config)
    server.trusted_clients = (certificate_der(certificate_from_pem(conn.config["certificate"])),)
    return conn


SECURED = [
    (P.Basic256Sha256_Sign, "Sign", "Basic256Sha256"),
    (P.Basic256Sha256_SignAndEncrypt, "SignAndEncrypt", "Basic256Sha256"),
    (P.Aes128Sha256RsaOaep_Sign, "Sign", "Aes128_Sha256_RsaOaep"),
    (P.Aes128Sha256RsaOaep_SignAndEncrypt, "SignAndEncrypt", "Aes128_Sha256_RsaOaep"),
    (P.Aes256Sha256RsaPss_Sign, "Sign", "Aes256_Sha256_RsaPss"),
    (P.Aes256Sha256RsaPss_SignAndEncrypt, "SignAndEncrypt", "Aes256_Sha256_RsaPss"),
]


@pytest.mark.parametrize(("required", "mode", "policy"), SECURED, ids=[f"{m}-{p}" for _, m, p in SECURED])
def test_a_server_requiring_each_mode_and_policy_opens_a_session(start_server: Server, required: P, mode: str,
                                                                  policy: str) -> None:
    server = start_server(policies=(required,))
    conn = trusted_by(server, security_mode=mode, security_policy=policy)
    assert conn.check_connection() == f"session opened on {server.url} ({mode} with {policy}, anonymous login)"


def test_mode_none_still_works_against_an_open_server(start_server: Server) -> None:
    server = start_server()
    conn = connector(server)
    assert conn.config["certificate"] is None  # nothing asked for a certificate
    assert conn.check_connection().endswith("(None, anonymous login)")


def test_a_refused_mode_names_what_the_server_requires(start_server: Server) -> None:
    server = start_server(policies=(P.Basic256Sha256_SignAndEncrypt,))
    with pytest.raises(AuthenticationError) as refused:
        connector(server).check_connection()
    assert "server requires SignAndEncrypt with Basic256Sha256" in refused.value.message
    assert "this instance is set to None" in refused.value.message

    with pytest.raises(AuthenticationError) as refused:
        trusted_by(server, security_mode="Sign", security_policy="Aes256_Sha256_RsaPss").check_connection()
    assert ("server requires SignAndEncrypt with Basic256Sha256; this instance is set to Sign with "
            "Aes256_Sha256_RsaPss") in refused.value.message


def test_an_untrusted_server_is_refused_with_its_thumbprint(start_server: Server) -> None:
    server = start_server(policies=(P.Basic256Sha256_SignAndEncrypt,))
    conn = connector(server, security_mode="SignAndEncrypt")
    with pytest.raises(AuthenticationError) as refused:
        conn.check_connection()
    message = refused.value.message
    assert "certificate (CN=urn:itsm-hub:tests:opcua-server) is not trusted" in message
    assert thumbprint(server.certificate, "sha256") in message and thumbprint(server.certificate, "sha1") in message

    # Trusting it by the thumbprint shown (any spelling) is enough.
    sha1 = thumbprint(server.certificate, "sha1").replace(":", "").lower()
    config = {**conn.config, "trusted_servers": [sha1], "endpoint_url": server.url}
    assert connector(server, **config).check_connection().startswith("session opened")

    # A server that presents another certificate later (replaced, or someone in between) is refused again.
    other = make_application_certificate()[0]
    config["trusted_servers"] = [other]
    with pytest.raises(AuthenticationError, match="is not trusted"):
        connector(server, **config).check_connection()


def test_a_server_that_does_not_trust_the_hub_says_whose_certificate(start_server: Server) -> None:
    server = start_server(policies=(P.Basic256Sha256_SignAndEncrypt,), trusted_clients=())
    conn = connector(server, security_mode="SignAndEncrypt", trusted_servers=[pem_of(server.certificate)])
    with pytest.raises(AuthenticationError) as refused:
        conn.check_connection()
    hub_sha1 = thumbprint(certificate_der(certificate_from_pem(conn.config["certificate"])), "sha1")
    assert f"The server refused the hub's certificate (SHA-1 {hub_sha1}): BadCertificateUntrusted" in \
        refused.value.message

    server.trusted_clients = (certificate_der(certificate_from_pem(conn.config["certificate"])),)
    assert conn.check_connection().startswith("session opened")


def test_user_name_login_over_sign_and_encrypt(start_server: Server) -> None:
    server = start_server(policies=(P.Aes256Sha256RsaPss_SignAndEncrypt,), username="hub", password="s3cret")
    conn = trusted_by(server, security_mode="SignAndEncrypt", security_policy="Aes256_Sha256_RsaPss",
                      username="hub", password="s3cret")
    assert conn.check_connection().endswith("(SignAndEncrypt with Aes256_Sha256_RsaPss, username login)")

    wrong = trusted_by(server, security_mode="SignAndEncrypt", security_policy="Aes256_Sha256_RsaPss",
                       username="hub", password="wrong")
    with pytest.raises(AuthenticationError, match="refused the user: BadUserAccessDenied"):
        wrong.check_connection()


def test_user_name_login_without_security(start_server: Server) -> None:
    server = start_server(username="hub", password="s3cret")
    assert connector(server, username="hub", password="s3cret").check_connection().endswith("username login)")
    with pytest.raises(AuthenticationError) as refused:
        connector(server).check_connection()
    assert "does not accept anonymous login on None; it accepts: user name" in refused.value.message


def test_certificate_login_with_the_application_certificate(start_server: Server) -> None:
    server = start_server(policies=(P.Basic256Sha256_Sign,))
    conn = trusted_by(server, security_mode="Sign", login="certificate")
    server.user_certificates = server.trusted_clients or ()
    server.restart()  # the server now offers certificate login
    assert conn.check_connection().endswith("(Sign with Basic256Sha256, certificate login)")


def test_certificate_login_with_a_user_certificate_of_its_own(start_server: Server) -> None:
    user_cert, user_key = make_application_certificate()
    server = start_server(policies=(P.Aes128Sha256RsaOaep_SignAndEncrypt,),
                          user_certificates=(certificate_der(certificate_from_pem(user_cert)),))
    conn = trusted_by(server, security_mode="SignAndEncrypt", security_policy="Aes128_Sha256_RsaOaep",
                      login="certificate", user_certificate=user_cert, user_private_key=user_key)
    assert conn.check_connection().endswith("certificate login)")

    # The application certificate is not a user the server knows.
    stranger = trusted_by(server, security_mode="SignAndEncrypt", security_policy="Aes128_Sha256_RsaOaep",
                          login="certificate")
    with pytest.raises(AuthenticationError, match="BadUserAccessDenied"):
        stranger.check_connection()
    # And a server without certificate login says which logins it takes.
    with pytest.raises(AuthenticationError, match=r"does not accept anonymous login .* it accepts: certificate"):
        trusted_by(server, security_mode="SignAndEncrypt",
                   security_policy="Aes128_Sha256_RsaOaep").check_connection()


def test_alarms_stream_and_acknowledge_over_sign_and_encrypt(start_server: Server) -> None:
    server = start_server(policies=(P.Basic256Sha256_SignAndEncrypt,), username="hub", password="s3cret")
    conn = trusted_by(server, security_mode="SignAndEncrypt", username="hub", password="s3cret")
    security = ClientSecurity.from_config(conn.config)
    events: list[ConditionEvent] = []
    states: list[tuple[str, str]] = []

    async def scenario() -> None:
        stop = asyncio.Event()

        async def on_event(event: ConditionEvent) -> None:
            events.append(event)

        task = asyncio.create_task(stream_conditions(
            server.url, username="hub", password="s3cret", security=security, on_event=on_event, stop=stop,
            on_state=lambda state, detail: states.append((state, detail)), reconnect_min=0.1, reconnect_max=0.5,
            publishing_interval=20))
        deadline = asyncio.get_running_loop().time() + scaled(20)
        while not any(state == "connected" for state, _ in states):
            assert asyncio.get_running_loop().time() < deadline and not task.done(), states
            await asyncio.sleep(0.02)
        await asyncio.to_thread(server.raise_alarm, "Bottle jam", 800)
        while not events:
            assert asyncio.get_running_loop().time() < deadline, states
            await asyncio.sleep(0.02)
        stop.set()
        await asyncio.wait_for(task, scaled(10))

    asyncio.run(scenario())
    assert events[0].message == "Bottle jam" and events[0].active
    detail = acknowledge_condition(server.url, server.condition_id(FILLER), events[0].event_id, "seen",
                                   username="hub", password="s3cret", security=security, timeout=scaled(10))
    assert detail == "acknowledged on the server"
    assert server.acknowledged()


def test_the_listener_says_why_a_secured_connect_fails(start_server: Server) -> None:
    server = start_server(policies=(P.Basic256Sha256_SignAndEncrypt,), trusted_clients=())
    conn = connector(server, security_mode="SignAndEncrypt", trusted_servers=[pem_of(server.certificate)])
    states: list[tuple[str, str]] = []

    async def scenario() -> None:
        stop = asyncio.Event()

        async def on_event(event: ConditionEvent) -> None:
            raise AssertionError("no event can arrive")

        task = asyncio.create_task(stream_conditions(
            server.url, security=ClientSecurity.from_config(conn.config), on_event=on_event, stop=stop,
            on_state=lambda state, detail: states.append((state, detail)), reconnect_min=0.1, reconnect_max=0.5))
        deadline = asyncio.get_running_loop().time() + scaled(20)
        while not any(state == "error" for state, _ in states):
            assert asyncio.get_running_loop().time() < deadline, states
            await asyncio.sleep(0.02)
        stop.set()
        await asyncio.wait_for(task, scaled(10))

    asyncio.run(scenario())
    _state, detail = next(item for item in states if item[0] == "error")
    assert detail.startswith("The server refused the hub's certificate (BadCertificateUntrusted): its admin must "
                             "trust the certificate shown on the instance's page; retrying in")

"""TLS mistakes get plain words: each error names the address and what to check.

Certificates are made at test time with the openssl command-line tool: a CA, a server certificate for
127.0.0.1/localhost signed by it, and a client certificate. The TLS brokers are built-in ones shared by the
module (``module_broker``: TLS and mutual TLS are options the real server leaves off by default).
"""

from __future__ import annotations

import shutil
import subprocess
import time

import pytest

from pyflymq import FlyMQConnectionError, TLSConfigurationError, connect

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None,
                                reason="the openssl command-line tool is needed to make test certificates")


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    """Paths of ca.pem, server.pem/.key (for 127.0.0.1 and localhost) and client.pem/.key."""
    d = tmp_path_factory.mktemp("tls-mistakes")

    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=d)

    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    openssl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=test-ca")
    (d / "san.ext").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    for name in ("server", "client"):
        openssl("req", *ec, "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={name}")
        openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                "-out", f"{name}.pem", "-days", "2", "-extfile", "san.ext")
    return {name: str(d / name) for name in ("ca.pem", "server.pem", "server.key", "client.pem", "client.key")}


@pytest.fixture(scope="module")
def tls_broker(certs, module_broker):
    """The module's broker serving TLS only."""
    return module_broker(tls_cert=certs["server.pem"], tls_key=certs["server.key"])


@pytest.fixture(scope="module")
def mtls_broker(certs, module_broker):
    """The module's broker serving mutual TLS: clients must show a certificate signed by the test CA."""
    return module_broker(tls_cert=certs["server.pem"], tls_key=certs["server.key"], tls_ca=certs["ca.pem"])


def refused(address: str, **kwargs) -> str:
    """The message of the TLSConfigurationError that connecting with these options raises."""
    with pytest.raises(TLSConfigurationError) as info:
        connect(address, timeout_ms=3000, retries=1, **kwargs)
    assert isinstance(info.value, FlyMQConnectionError)
    return str(info.value)


def test_plain_client_on_a_tls_port(tls_broker):
    text = refused(tls_broker.address)
    assert tls_broker.address in text
    assert "expects TLS" in text and "tls=True" in text


def test_tls_client_on_a_plain_port(flymq, certs):
    text = refused(flymq.address, tls=True, tls_ca_file=certs["ca.pem"])
    assert flymq.address in text
    assert "plain (non-TLS) FlyMQ port" in text and "without TLS" in text


def test_wrong_host_name_lists_the_names_on_the_certificate(tls_broker, certs):
    text = refused(tls_broker.address, tls_ca_file=certs["ca.pem"], tls_server_name="flymq.example.com")
    assert tls_broker.address in text
    assert "'flymq.example.com'" in text
    assert "DNS:localhost" in text and "IP:127.0.0.1" in text
    assert "tls_server_name" in text


def test_unknown_ca(tls_broker):
    text = refused(tls_broker.address, tls=True)  # the test CA is not in the system store
    assert tls_broker.address in text
    assert "not signed by the system's trusted CAs" in text and "tls_ca_file" in text


def test_missing_client_certificate(mtls_broker, certs):
    text = refused(mtls_broker.address, tls_ca_file=certs["ca.pem"])
    assert mtls_broker.address in text
    assert "requires a client certificate" in text and "tls_cert_file" in text


def test_the_right_settings_still_connect(tls_broker, mtls_broker, certs):
    with connect(tls_broker.address, tls_ca_file=certs["ca.pem"], timeout_ms=3000) as client:
        assert client.list_topics() is not None
    with connect(mtls_broker.address, tls_ca_file=certs["ca.pem"], tls_cert_file=certs["client.pem"],
                 tls_key_file=certs["client.key"], timeout_ms=3000) as client:
        assert client.list_topics() is not None


def test_missing_client_certificate_noticed_while_sending(mtls_broker, certs):
    # The server's "certificate required" alert may arrive before the client's first request goes out, so
    # that the send fails first: the explanation must be the same.
    from pyflymq.connection import Connection
    from pyflymq.tls import TLSSettings, make_ssl_context
    from pyflymq.wire import Op

    host, port = mtls_broker.address.rsplit(":", 1)
    conn = Connection(host, int(port), timeout=3.0, ssl_context=make_ssl_context(ca_file=certs["ca.pem"]),
                      tls_settings=TLSSettings(ca_file=certs["ca.pem"]))
    time.sleep(0.3)  # let the alert and the close arrive first
    with pytest.raises(TLSConfigurationError, match="requires a client certificate"):
        conn.request(Op.WHOAMI)
    assert conn.closed

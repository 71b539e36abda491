"""``python -m pyflymq.broker``: the ready line, clean shutdown, persistence, auth and TLS from the shell."""

from __future__ import annotations

import os
import shutil
import signal
import ssl
import subprocess
import sys

import pytest

from pyflymq import wire
from pyflymq.broker import Broker
from pyflymq.broker.__main__ import build_parser
from pyflymq.broker.testing import BrokerProcess, RawConnection
from pyflymq.wire import Op


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_ready_line_service_and_clean_stop(signum):
    with BrokerProcess() as broker:
        assert broker.line.rstrip("\n") == f"listening on {broker.address}"
        assert broker.address.startswith("127.0.0.1:") and not broker.address.endswith(":0")
        with RawConnection(broker.address) as c:
            assert c.request(Op.PRODUCE, wire.encode_produce_request("cli", b"v")).op == Op.PRODUCE
            assert wire.decode_list_topics_response(c.request(Op.LIST_TOPICS).payload) == ["cli"]
            code, out, err = broker.stop(signum)
    assert code == 0
    assert out == ""
    assert "Traceback" not in err and err.strip() == ""


def test_data_dir_keeps_topics_records_and_offsets(tmp_path):
    with BrokerProcess("--data-dir", str(tmp_path)) as first:
        with RawConnection(first.address) as c:
            c.request(Op.CREATE_TOPIC, wire.encode_create_topic_request("orders", 2))
            for i in range(5):
                c.request(Op.PRODUCE, wire.encode_produce_request("orders", b"o%d" % i, b"key-%d" % i))
            c.request(Op.COMMIT, wire.encode_commit_request("orders", "billing", 1, 3))
        assert first.stop()[0] == 0
    with BrokerProcess("--data-dir", str(tmp_path)) as second, RawConnection(second.address) as c:
        meta = wire.decode_cluster_metadata_response(c.request(Op.CLUSTER_METADATA, wire.encode_topic_request(
            "orders")).payload)
        assert len(meta.topics[0].partitions) == 2
        values = []
        for p in (0, 1):
            reply = c.request(Op.FETCH, wire.encode_fetch_request("orders", p, 0, 100))
            values += [m.value for m in wire.decode_fetch_response(reply.payload)]
        assert sorted(values) == [b"o%d" % i for i in range(5)]
        offset = c.request(Op.GET_OFFSET, wire.encode_group_partition_request("orders", "billing", 1))
        assert wire.decode_u64_response(offset.payload) == 3
        assert second.stop()[0] == 0


def test_users_turn_auth_on():
    with BrokerProcess("--user", "alice:wonder:admin", "--user", "bob:builder:consumer") as broker:
        with RawConnection(broker.address) as c:
            reply = c.request(Op.PRODUCE, wire.encode_produce_request("t", b"v"))
            assert wire.decode_error(reply.payload, reply.flags).text == "authentication required"
            denied = c.request(Op.AUTH, wire.encode_auth_request("alice", "wrong"))
            assert denied.op == Op.AUTH_RESPONSE
            result = wire.decode_auth_response(denied.payload)
            assert (result.success, result.error) == (False, "invalid username or password")
            granted = wire.decode_auth_response(c.request(Op.AUTH, wire.encode_auth_request("alice", "wonder")).payload)
            assert (granted.success, granted.username, granted.roles) == (True, "alice", ["admin"])
            assert c.request(Op.PRODUCE, wire.encode_produce_request("t", b"v")).op == Op.PRODUCE
        assert broker.stop()[0] == 0


def test_bad_arguments_fail_cleanly():
    busy = Broker().start()
    try:
        port = busy.port
        proc = subprocess.run([sys.executable, "-m", "pyflymq.broker", "--port", str(port)],
                              capture_output=True, text=True, timeout=20)
    finally:
        busy.stop()
    assert proc.returncode == 1 and proc.stdout == "" and "Traceback" not in proc.stderr
    proc = subprocess.run([sys.executable, "-m", "pyflymq.broker", "--user", "x:y:wizard"],
                          capture_output=True, text=True, timeout=20)
    assert proc.returncode == 1 and "unknown role" in proc.stderr
    assert build_parser().parse_args([]).port == 9092


# ------------------------------------------------------------------------------------ TLS

def _openssl(*args: str, cwd) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


@pytest.fixture(scope="module")
def certificates(tmp_path_factory):
    """A CA, a server certificate for 127.0.0.1 and a client certificate, made with the openssl CLI."""
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command-line tool is not installed; it is needed to make test certificates")
    d = tmp_path_factory.mktemp("tls")
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
             "-subj", "/CN=pyflymq test CA", cwd=d)
    for name, ext in (("server", "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth"),
                      ("client", "extendedKeyUsage=clientAuth")):
        (d / f"{name}.ext").write_text(ext + "\n")
        _openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.csr",
                 "-subj", f"/CN={name}", cwd=d)
        _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                 "-out", f"{name}.pem", "-days", "2", "-extfile", f"{name}.ext", cwd=d)
    return {name: str(d / name) for name in os.listdir(d)}


def _client_context(certs, with_client_cert: bool) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=certs["ca.pem"])
    if with_client_cert:
        ctx.load_cert_chain(certs["client.pem"], certs["client.key"])
    return ctx


def test_tls(certificates):
    with BrokerProcess("--tls-cert", certificates["server.pem"], "--tls-key", certificates["server.key"]) as broker:
        ctx = _client_context(certificates, with_client_cert=False)
        with RawConnection(broker.address, ssl_context=ctx, server_hostname="127.0.0.1") as c:
            assert c.sock.version() is not None
            assert c.request(Op.PRODUCE, wire.encode_produce_request("secure", b"v")).op == Op.PRODUCE
            assert wire.decode_list_topics_response(c.request(Op.LIST_TOPICS).payload) == ["secure"]
        with RawConnection(broker.address) as plain:  # a plain-TCP client gets no FlyMQ frame back
            plain.send(wire.encode_frame(Op.LIST_TOPICS))
            try:
                data = plain.sock.recv(64)
            except ConnectionResetError:
                data = b""
            assert not data.startswith(b"\xaf\x01")
        code, _out, err = broker.stop()
    assert code == 0 and "Traceback" not in err


def test_mutual_tls(certificates):
    with Broker(tls_cert=certificates["server.pem"], tls_key=certificates["server.key"],
                tls_ca=certificates["ca.pem"]) as broker:
        good = _client_context(certificates, with_client_cert=True)
        with RawConnection(broker.address, ssl_context=good, server_hostname="127.0.0.1") as c:
            assert c.request(Op.LIST_TOPICS).op == Op.LIST_TOPICS
        anonymous = _client_context(certificates, with_client_cert=False)
        with pytest.raises((ssl.SSLError, ConnectionError, OSError)):
            with RawConnection(broker.address, ssl_context=anonymous, server_hostname="127.0.0.1") as c:
                c.request(Op.LIST_TOPICS)
        with RawConnection(broker.address, ssl_context=good, server_hostname="127.0.0.1") as c:
            assert c.request(Op.LIST_TOPICS).op == Op.LIST_TOPICS

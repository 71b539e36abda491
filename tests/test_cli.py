"""The ``flytui`` command line: exit status 2 with a clear message when the server cannot be used."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading

import pytest

from flytui.cli import build_parser, explain_failure, main
from flytui.service import ConnectionSettings

ENV = {**os.environ, "PYTHONWARNINGS": "ignore"}


def run(*args: str, timeout: float = 30) -> subprocess.CompletedProcess:
    """Run ``python -m flytui ARGS`` and capture its output."""
    return subprocess.run([sys.executable, "-m", "flytui", *args], capture_output=True, text=True,
                          timeout=timeout, env=ENV, stdin=subprocess.DEVNULL)


def free_port() -> int:
    """A local port nobody listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_server_exits_2_with_advice():
    port = free_port()
    result = run(f"127.0.0.1:{port}")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert f"127.0.0.1:{port}" in result.stderr
    assert "Is FlyMQ running" in result.stderr and "flytui --demo" in result.stderr
    assert result.stderr.count("\n") <= 2, "one paragraph"


def test_failover_list_names_every_server():
    a, b = free_port(), free_port()
    result = run(f"127.0.0.1:{a},127.0.0.1:{b}")
    assert result.returncode == 2
    assert f"127.0.0.1:{a},127.0.0.1:{b}" in result.stderr


def test_not_a_flymq_server_exits_2():
    """A server that answers with something else (here: an HTTP-ish banner) is told apart."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            with conn:
                try:
                    conn.recv(1024)
                    conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
                except OSError:
                    pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        result = run(f"127.0.0.1:{port}")
    finally:
        stop.set()
        thread.join(2)
        listener.close()
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert f"127.0.0.1:{port}" in result.stderr
    assert "FlyMQ" in result.stderr


def test_bad_credentials_exit_2():
    from pyflymq.broker import Broker

    with Broker(host="127.0.0.1", port=0, users=["alice:secret:admin"]) as broker:
        env_var = "FLYTUI_TEST_PASSWORD"
        os.environ[env_var] = "wrong"
        try:
            result = subprocess.run([sys.executable, "-m", "flytui", broker.address, "--user", "alice",
                                     "--password-env", env_var], capture_output=True, text=True, timeout=30,
                                    env={**ENV, env_var: "wrong"}, stdin=subprocess.DEVNULL)
        finally:
            os.environ.pop(env_var, None)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "refused the login" in result.stderr and "alice" in result.stderr


def test_server_requiring_a_login_exits_2_before_the_ui():
    from pyflymq.broker import Broker

    with Broker(host="127.0.0.1", port=0, users=["alice:secret:admin"]) as broker:
        broker.produce("orders", b"x")
        result = run(broker.address)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "requires a login" in result.stderr and "--user" in result.stderr


def test_missing_password_env_var_exits_2(monkeypatch):
    monkeypatch.delenv("FLYTUI_NOPE", raising=False)
    with pytest.raises(SystemExit) as exc:
        main(["127.0.0.1:1", "--user", "u", "--password-env", "FLYTUI_NOPE"])
    assert exc.value.code == 2


def test_version_and_help():
    version = run("--version")
    assert version.returncode == 0 and version.stdout.startswith("flytui ")
    helptext = run("--help")
    assert helptext.returncode == 0
    for option in ("--demo", "--topic", "--group", "--read-only", "--user", "--password-env",
                   "--password-prompt", "--tls", "--ca", "--cert", "--key", "--insecure", "--refresh"):
        assert option in helptext.stdout


def test_parser_defaults():
    args = build_parser().parse_args([])
    assert args.servers is None and args.refresh == 5.0 and not args.read_only  # None: localhost:9092


def test_explanations_are_plain_words():
    from pyflymq.errors import AuthenticationError, FlyMQConnectionError, ProtocolError

    settings = ConnectionSettings("db1:9092")
    assert "try `flytui --demo`" in explain_failure(FlyMQConnectionError("refused"), settings)
    assert "not like a FlyMQ server" in explain_failure(ProtocolError("bad magic"), settings)
    assert "--tls" in explain_failure(ProtocolError("bad magic"), settings)
    auth = explain_failure(AuthenticationError("invalid username or password"),
                           ConnectionSettings("db1:9092", username="bob"))
    assert "bob" in auth and "invalid username or password" in auth

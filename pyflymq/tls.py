"""TLS for the client: the context it connects with, and plain-words explanations of TLS mistakes.

:class:`TLSSettings` holds what the caller asked for; :func:`make_ssl_context` turns it into an
:class:`ssl.SSLContext`. When a TLS connection cannot be set up, :func:`explain_handshake_failure` and
:func:`explain_plain_to_tls` find out which mistake it is and return a
:class:`~pyflymq.errors.TLSConfigurationError` naming the address and what to check:

* a plain client on a TLS port (the server resets the connection or answers with TLS bytes),
* a TLS client on a plain port (the handshake ends in an EOF),
* a certificate that does not name the host connected to (the message lists the names it does carry),
* a certificate signed by a CA the client does not trust,
* a missing client certificate on a server that requires one (mutual TLS), or a rejected one.

Some of these cannot be told apart from the first failure alone, so the explanation may open one short
extra connection (a TLS handshake without verification, or one plain FlyMQ frame) to check; each is bounded
by the timeout it is given.
"""

from __future__ import annotations

import socket
import ssl
import time
from dataclasses import dataclass
from typing import Any

from .errors import TLSConfigurationError
from .wire import Op, encode_frame

__all__ = ["TLSSettings", "explain_handshake_failure", "explain_plain_to_tls", "explain_tls_read_failure",
           "make_ssl_context"]

# OpenSSL verify codes (X509_V_ERR_*) met when a certificate is not trusted or does not name the host
_UNTRUSTED_CA = {2, 18, 19, 20, 21, 27, 28}
_HOSTNAME_MISMATCH = {62, 64}
_EXPIRED = {9, 10}

# TLS alerts a server sends when it wanted a client certificate and got none, or refused the one it got
_CERT_REQUIRED_ALERTS = ("CERTIFICATE_REQUIRED", "HANDSHAKE_FAILURE")
_CERT_REJECTED_ALERTS = ("UNKNOWN_CA", "BAD_CERTIFICATE", "CERTIFICATE_UNKNOWN", "UNSUPPORTED_CERTIFICATE",
                         "CERTIFICATE_EXPIRED", "CERTIFICATE_REVOKED", "ACCESS_DENIED", "DECRYPT_ERROR")

_WHOAMI_FRAME = encode_frame(Op.WHOAMI)  # an empty WHOAMI: any answer proves the handshake worked


@dataclass(frozen=True)
class TLSSettings:
    """The TLS options of a client, kept so that a failed handshake can be explained."""

    ca_file: str | None = None
    cert_file: str | None = None
    key_file: str | None = None
    server_name: str | None = None
    insecure_skip_verify: bool = False


def make_ssl_context(*, ca_file: str | None = None, cert_file: str | None = None, key_file: str | None = None,
                     insecure_skip_verify: bool = False, check_hostname: bool = True) -> ssl.SSLContext:
    """A client TLS context: verifies the server against ``ca_file`` (or the system store) unless
    ``insecure_skip_verify``; presents ``cert_file``/``key_file`` for mutual TLS."""
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=ca_file)
    if cert_file:
        context.load_cert_chain(cert_file, key_file)
    if insecure_skip_verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    elif not check_hostname:
        context.check_hostname = False
    return context


# ------------------------------------------------------------------------------------------ probes

def _open(host: str, port: int, timeout: float) -> socket.socket:
    return socket.create_connection((host, port), timeout=max(timeout, 0.05))


def _speaks_tls(host: str, port: int, timeout: float) -> bool:
    """True when a TLS handshake (without verification) gets TLS back from ``host:port``."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        with _open(host, port, timeout) as raw, context.wrap_socket(raw, server_hostname=host):
            return True
    except ssl.SSLError as exc:  # an alert from the server (e.g. it wants a client certificate) is TLS too
        return "ALERT" in (exc.reason or "")
    except OSError:
        return False


def _speaks_plain_flymq(host: str, port: int, timeout: float) -> bool:
    """True when ``host:port`` answers a plain WHOAMI frame with a FlyMQ frame."""
    try:
        with _open(host, port, timeout) as sock:
            sock.sendall(_WHOAMI_FRAME)
            first = sock.recv(1)
            return first == b"\xaf"
    except OSError:
        return False


def _certificate_names(host: str, port: int, settings: TLSSettings, timeout: float) -> list[str] | None:
    """The names on the server's certificate (``DNS:…``, ``IP:…``, ``CN=…``), read through a verified
    handshake that skips only the host-name check; None when that fails too."""
    try:
        context = make_ssl_context(ca_file=settings.ca_file, cert_file=settings.cert_file,
                                   key_file=settings.key_file, check_hostname=False)
        with _open(host, port, timeout) as raw, context.wrap_socket(raw, server_hostname=host) as sock:
            # typeshed's value union (str or nested tuples) fits no one key; each key's shape is fixed by ssl
            cert: dict[str, Any] = dict(sock.getpeercert() or {})
    except (OSError, ValueError):
        return None
    names = [f"{'IP' if kind == 'IP Address' else kind}:{value}" for kind, value in cert.get("subjectAltName", ())]
    for rdn in cert.get("subject", ()):
        for key, value in rdn:
            if key == "commonName":
                names.append(f"CN={value}")
    return names


# ------------------------------------------------------------------------------------ explanations

def explain_handshake_failure(exc: BaseException, address: str, host: str, port: int, server_name: str,
                              settings: TLSSettings, deadline: float) -> TLSConfigurationError | None:
    """A :class:`TLSConfigurationError` for a TLS handshake with ``address`` that failed with ``exc``, or
    None when it is not a TLS set-up mistake (a timeout, a refused connection)."""
    if isinstance(exc, TimeoutError) or isinstance(exc, ConnectionRefusedError):
        return None
    budget = max(0.0, min(2.0, deadline - time.monotonic()))
    if isinstance(exc, ssl.SSLCertVerificationError):
        return _verification_error(exc, address, host, port, server_name, settings, budget)
    if isinstance(exc, ssl.SSLError):
        alert = _client_certificate_problem(exc, address, settings)
        if alert is not None:
            return alert
    if isinstance(exc, (ssl.SSLEOFError, ConnectionResetError, BrokenPipeError, ssl.SSLError)):
        if budget and _speaks_plain_flymq(host, port, budget):
            return TLSConfigurationError(
                f"{address} is a plain (non-TLS) FlyMQ port: it closed the connection at the TLS handshake. "
                "Connect without TLS (leave out tls=True and the tls_* options), or use the server's TLS port.")
        reason = getattr(exc, "reason", None) or type(exc).__name__
        return TLSConfigurationError(
            f"{address} ended the TLS handshake ({reason}). Check that {address} is a TLS port of a FlyMQ "
            "server, and the TLS options: tls_ca_file (the CA that signed its certificate), "
            "tls_cert_file/tls_key_file if it requires client certificates.")
    return None


def explain_tls_read_failure(exc: BaseException, address: str, settings: TLSSettings,
                             first_request: bool = False) -> TLSConfigurationError | None:
    """With TLS 1.3 the server checks the client certificate after the handshake, so a missing or refused
    one shows up as an alert on the first exchange (or, when the alert is lost, as the connection ending right
    there): explain it, or None for any other failure."""
    if isinstance(exc, ssl.SSLError):
        explained = _client_certificate_problem(exc, address, settings)
        if explained is not None:
            return explained
    ended = isinstance(exc, (ssl.SSLEOFError, ssl.SSLZeroReturnError, ConnectionResetError, BrokenPipeError))
    if first_request and ended and not settings.cert_file:
        return TLSConfigurationError(
            f"{address} ended the TLS connection right after the handshake, before its first answer; a server "
            "that requires a client certificate (mutual TLS) does that when none is given: pass "
            "tls_cert_file= and tls_key_file= with a certificate signed by a CA the server trusts.")
    return None


def explain_plain_to_tls(address: str, host: str, port: int, deadline: float) -> TLSConfigurationError | None:
    """A plain client's first request failed (reset, EOF, or bytes that are not FlyMQ): if ``address``
    speaks TLS, say so; else None."""
    budget = max(0.0, min(2.0, deadline - time.monotonic()))
    if budget and _speaks_tls(host, port, budget):
        return TLSConfigurationError(
            f"{address} expects TLS: it closed a plain connection. Connect with tls=True, and tls_ca_file= "
            "the CA that signed the server's certificate (tls_cert_file/tls_key_file too if it requires "
            "client certificates).")
    return None


def _client_certificate_problem(exc: ssl.SSLError, address: str,
                                settings: TLSSettings) -> TLSConfigurationError | None:
    reason = (exc.reason or "").upper()
    if "ALERT" not in reason:
        return None
    if not settings.cert_file and any(alert in reason for alert in _CERT_REQUIRED_ALERTS):
        return TLSConfigurationError(
            f"{address} requires a client certificate (mutual TLS) and none was given ({exc.reason}): pass "
            "tls_cert_file= and tls_key_file= with a certificate signed by a CA the server trusts.")
    if settings.cert_file and any(alert in reason for alert in _CERT_REJECTED_ALERTS + _CERT_REQUIRED_ALERTS):
        return TLSConfigurationError(
            f"{address} refused the client certificate {settings.cert_file} ({exc.reason}): check that it is "
            "signed by a CA the server trusts, has not expired, and matches tls_key_file.")
    return None


def _verification_error(exc: ssl.SSLCertVerificationError, address: str, host: str, port: int,
                        server_name: str, settings: TLSSettings, budget: float) -> TLSConfigurationError:
    code = exc.verify_code
    detail = exc.verify_message or exc.reason or str(exc)
    if code in _HOSTNAME_MISMATCH:
        names = _certificate_names(host, port, settings, budget) if budget else None
        carries = f"it names {', '.join(names)}" if names else "the names it carries could not be read"
        return TLSConfigurationError(
            f"the certificate of {address} is not valid for the name {server_name!r} ({carries}). Connect "
            "with a name on the certificate, or set tls_server_name= to one of them.")
    if code in _UNTRUSTED_CA:
        where = f"the CA in {settings.ca_file}" if settings.ca_file else "the system's trusted CAs"
        return TLSConfigurationError(
            f"the certificate of {address} is not signed by {where} ({detail}). Pass tls_ca_file= with the "
            "CA certificate that signed the server's certificate.")
    if code in _EXPIRED:
        return TLSConfigurationError(f"the certificate of {address} is not valid now ({detail}): the server "
                                     "needs a renewed certificate (or check this machine's clock).")
    return TLSConfigurationError(f"the certificate of {address} failed verification ({detail}). Check "
                                 "tls_ca_file and the server's certificate.")

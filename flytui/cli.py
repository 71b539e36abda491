"""Command line entry point: ``flytui [SERVERS] [options]`` and ``flytui --demo``.

Before the UI starts, flytui connects once with a short timeout. An unreachable server, a wrong port, a
server that does not speak FlyMQ, or a rejected login prints one plain paragraph on stderr saying what to
try, and exits with status 2 (never a traceback). Once running, a lost connection is shown in the header
and retried in the background.

``flytui --demo`` starts its broker process before anything heavy is imported (pyflymq, Textual, the app),
so that the demo data is made on the other core while this process imports: the imports at the top of this
module are the standard library's only.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
import warnings
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from .profiles import (
    Profile,
    ProfileError,
    config_path,
    load_profiles,
    looks_like_profile_name,
    profile_password,
)

if TYPE_CHECKING:
    from .demo_process import DemoProcess
    from .model import ConnectionSettings

EXIT_USAGE = 2
FIRST_PAGE = 200
"""Records of the first partition read before the app runs (with the first refresh pass): a screenful."""
FIRST_REFRESH_WAIT = 0.3
"""Seconds the UI waits at most for the first refresh pass before it starts (a slow server's pass goes on
meanwhile, and the app shows it when it is in)."""


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("flytui")
    except Exception:  # noqa: BLE001 - running from a source tree that is not installed
        return "0.1.0"


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (also used for ``--help``)."""
    parser = argparse.ArgumentParser(
        prog="flytui",
        description="A terminal consumer explorer for the FlyMQ message broker: browse topics and "
                    "partitions, tail live, decode records, move consumer-group offsets with a previewed "
                    "plan, replay or purge dead letters.",
        epilog="Keys: press ? in the app. Examples:  flytui --demo   |   flytui localhost:9092   |   "
               "flytui b1:9092,b2:9092 --read-only --topic orders --group billing   |   flytui prod",
    )
    parser.add_argument("servers", nargs="?", default=None, metavar="SERVERS|PROFILE",
                        help="host:port of the FlyMQ server; a comma-separated list fails over in order "
                             "(default: localhost:9092); or the name of a profile in "
                             "~/.config/flytui/config.toml ($XDG_CONFIG_HOME), whose values the options "
                             "below override (a profile's read_only = true stays on)")
    parser.add_argument("--demo", action="store_true",
                        help="start a built-in broker with demo data and explore it (no server needed)")
    parser.add_argument("--topic", metavar="T", help="open this topic at start")
    parser.add_argument("--group", metavar="G", help="select this consumer group at start")
    parser.add_argument("--read-only", action="store_true",
                        help="refuse every write: no commit, produce, replay or purge")
    auth = parser.add_argument_group("authentication")
    auth.add_argument("--user", metavar="NAME", help="sign in as this user")
    secret = auth.add_mutually_exclusive_group()
    secret.add_argument("--password", metavar="PASSWORD", help="password (visible in the process list: "
                        "prefer --password-env or --password-prompt)")
    secret.add_argument("--password-env", metavar="VAR", help="read the password from this environment variable")
    secret.add_argument("--password-prompt", action="store_true", help="ask for the password")
    tls = parser.add_argument_group("TLS")
    tls.add_argument("--tls", action="store_true", help="connect with TLS")
    tls.add_argument("--ca", metavar="FILE", help="CA certificate file to verify the server (implies --tls)")
    tls.add_argument("--cert", metavar="FILE", help="client certificate for mutual TLS (implies --tls)")
    tls.add_argument("--key", metavar="FILE", help="client private key for mutual TLS")
    tls.add_argument("--insecure", action="store_true", help="do not verify the server certificate (implies --tls)")
    one_shot = parser.add_argument_group(
        "one-shot output (no UI)",
        "With --print, flytui writes the topic's records as JSON Lines on stdout and exits: one object per "
        "record with topic, partition, offset, key, key_encoding, value, value_encoding (value is the "
        "decoded JSON when the record is JSON, else UTF-8 text, else base64). Exit status: "
        + "; ".join(f"{code} {meaning}" for code, meaning in _exit_codes().items()) + ".")
    one_shot.add_argument("--print", action="store_true", dest="print_records",
                          help="print the records of --topic as JSON Lines and exit (every partition unless "
                               "--partition is given)")
    one_shot.add_argument("--from", dest="start", default=None, metavar="SEEK",
                          help="where each partition starts: beginning (default), end, end-N or -N (the last "
                               "N), +N (N after the beginning), an offset, group:NAME (its committed offsets)")
    one_shot.add_argument("--count", type=_positive_int, default=None, metavar="N",
                          help="stop after N records in all")
    one_shot.add_argument("--follow", action="store_true",
                          help="keep printing new records until Ctrl-C or the reader of the pipe goes away")
    one_shot.add_argument("--filter", dest="filter_text", default=None, metavar="EXPR",
                          help='print only matching records: plain text (substring), /regex/, '
                               '$.status == "paid", $.amount > 100, key ~ /^cust-/, with and/or/not')
    one_shot.add_argument("--partition", dest="partitions", type=_partition_list, action="append",
                          default=None, metavar="P[,P...]", help="read only these partitions (repeatable)")
    parser.add_argument("--refresh", type=float, default=5.0, metavar="SECONDS",
                        help="background refresh interval of topics, watermarks and groups (default: 5; "
                             "0 turns it off)")
    parser.add_argument("--version", action=_ShowVersion)
    return parser


def _exit_codes() -> dict[int, str]:
    from .exit_codes import EXIT_CODES

    return EXIT_CODES


class _ShowVersion(argparse.Action):
    """``--version``: the installed version, looked up only when asked (reading package metadata is slow)."""

    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS,
                 default: str = argparse.SUPPRESS, help: str = "show the version and exit") -> None:
        super().__init__(option_strings=option_strings, dest=dest, default=default, nargs=0, help=help)

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: object,
                 option_string: str | None = None) -> None:
        print(f"flytui {_version()}")
        parser.exit()


def _positive_int(text: str) -> int:
    try:
        number = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if number < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return number


def _partition_list(text: str) -> list[int]:
    try:
        numbers = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a list of partition numbers, e.g. 0,2") from None
    if not numbers or any(number < 0 for number in numbers):
        raise argparse.ArgumentTypeError(f"{text!r} is not a list of partition numbers, e.g. 0,2")
    return numbers


_PRINT_ONLY = (("start", "--from"), ("count", "--count"), ("follow", "--follow"), ("filter_text", "--filter"),
               ("partitions", "--partition"))


def _print_records(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    """The ``--print`` mode: check its options, then hand over to :mod:`flytui.one_shot`."""
    from .one_shot import PrintOptions, run_print

    if args.demo:
        parser.exit(EXIT_USAGE, "flytui: --print reads from a server: give SERVERS instead of --demo.\n")
    if not args.topic:
        parser.exit(EXIT_USAGE, "flytui: --print needs --topic T (the topic to print).\n")
    settings = settings_from_args(args, parser)
    partitions = None if args.partitions is None else tuple(p for group in args.partitions for p in group)
    options = PrintOptions(topic=args.topic, start=args.start or "beginning", count=args.count,
                           follow=args.follow, filter_text=args.filter_text or "", partitions=partitions)
    return run_print(settings, options, explain=explain_failure)


def _password(args: argparse.Namespace, parser: argparse.ArgumentParser) -> str | None:
    if args.password is not None:
        return args.password
    if args.password_env:
        value = os.environ.get(args.password_env)
        if value is None:
            parser.exit(EXIT_USAGE, f"flytui: the environment variable {args.password_env} is not set. "
                                    "Export it, or use --password-prompt.\n")
        return value
    if args.password_prompt:
        try:
            return getpass.getpass(f"Password for {args.user or 'FlyMQ'}: ")
        except (EOFError, KeyboardInterrupt):
            parser.exit(EXIT_USAGE, "\nflytui: no password given.\n")
    return None


def apply_profile(args: argparse.Namespace, parser: argparse.ArgumentParser,
                  env: Mapping[str, str] | None = None) -> Profile | None:
    """Fill ``args`` from the profile its SERVERS argument names (options given on the command line win,
    except that a profile's ``read_only = true`` stays on); returns the profile, or None for a server list.

    A problem with the config file or the profile exits with status 2 and a plain message.
    """
    env = os.environ if env is None else env
    argument = args.servers
    if argument is None:
        args.servers = "localhost:9092"
        return None
    path = config_path(env)
    try:
        profiles = load_profiles(path)
        profile = profiles.get(argument)
        if profile is None:
            if not looks_like_profile_name(argument):
                return None
            if not profiles:
                raise ProfileError(f"no profile '{argument}': {path} does not exist or has no profiles "
                                   f"(the README shows an example). To connect to a host called {argument}, "
                                   f"write {argument}:9092.")
            raise ProfileError(f"no profile '{argument}' in {path}. Known profiles: "
                               f"{', '.join(sorted(profiles))}. To connect to a host called {argument}, "
                               f"write {argument}:9092.")
        own_user = args.user is None or args.user == profile.user
        password = None
        if own_user and args.password is None and not args.password_env and not args.password_prompt:
            password, warning = profile_password(profile, env, path)
            if warning:
                print(f"flytui: {warning}", file=sys.stderr)
    except ProfileError as exc:
        parser.exit(EXIT_USAGE, f"flytui: {exc}\n")
    args.servers = profile.servers
    args.password = args.password if password is None else password
    args.user = args.user or profile.user
    args.tls = args.tls or profile.tls
    args.insecure = args.insecure or profile.insecure
    for name in ("ca", "cert", "key", "topic", "group"):
        if getattr(args, name) is None:
            setattr(args, name, getattr(profile, name))
    args.read_only = args.read_only or profile.read_only
    return profile


def settings_from_args(args: argparse.Namespace, parser: argparse.ArgumentParser) -> ConnectionSettings:
    """Connection settings from parsed arguments (asks for the password if told to)."""
    from .model import ConnectionSettings

    password = _password(args, parser)
    if password is not None and not args.user:
        parser.exit(EXIT_USAGE, "flytui: a password was given without --user. Add --user NAME.\n")
    if args.key and not args.cert:
        parser.exit(EXIT_USAGE, "flytui: --key needs --cert (the client certificate for mutual TLS).\n")
    return ConnectionSettings(
        servers=args.servers, username=args.user, password=password,
        tls=bool(args.tls or args.ca or args.cert or args.insecure),
        ca_file=args.ca, cert_file=args.cert, key_file=args.key, insecure=args.insecure,
    )


def explain_failure(exc: BaseException, settings: ConnectionSettings) -> str:
    """One paragraph for stderr: what went wrong when connecting, and what to try."""
    from pyflymq.errors import (
        AuthenticationError,
        AuthError,
        FlyMQConnectionError,
        FlyMQError,
        FlyMQTimeoutError,
        ProtocolError,
    )

    where = settings.first_server
    host = where.rsplit(":", 1)[0]
    servers = settings.servers
    if isinstance(exc, AuthenticationError) and not settings.username:
        return (f"flytui: {where} requires a login ({exc}). "
                "Start flytui with --user NAME and --password-env VAR or --password-prompt.")
    if isinstance(exc, AuthenticationError):
        return (f"flytui: {where} refused the login for user '{settings.username}': {exc}. "
                "Check the user name and password (--user, --password-env VAR or --password-prompt).")
    if isinstance(exc, AuthError):
        return (f"flytui: {where} requires a login or more permissions ({exc}). "
                "Try --user NAME --password-prompt.")
    if isinstance(exc, FlyMQTimeoutError):
        return (f"flytui: {where} did not answer in time ({exc}). Is FlyMQ running on {where}, and is that "
                f"the right port? Firewalled hosts time out instead of refusing. Try `flytui --demo` to see "
                "flytui with a built-in broker.")
    if isinstance(exc, ProtocolError):
        tls_hint = ("If the server uses TLS, add --tls (and --ca FILE)." if not settings.tls else
                    "If the server does not use TLS, leave out --tls.")
        return (f"flytui: {where} answered, but not like a FlyMQ server ({exc}). Is this the FlyMQ port "
                f"(default 9092)? {tls_hint}")
    if isinstance(exc, FlyMQConnectionError | OSError):
        text = str(exc)
        if settings.tls and ("SSL" in text or "certificate" in text.lower()):
            return (f"flytui: the TLS handshake with {where} failed ({text}). Check --ca (the CA that "
                    "signed the server certificate), --cert/--key for mutual TLS, or --insecure to skip "
                    "verification for a test server.")
        return (f"flytui: cannot connect to {servers}: {text}. Is FlyMQ running on {where}? Check the host "
                f"and port (`nc -z {host} {where.rsplit(':', 1)[-1]}`), or try `flytui --demo` to see flytui "
                "with a built-in broker.")
    if isinstance(exc, FlyMQError):
        return f"flytui: {where} answered with an error: {exc}. Is this a FlyMQ server (1.26 or later)?"
    return f"flytui: could not start: {type(exc).__name__}: {exc}"


def main(argv: Sequence[str] | None = None) -> int:
    """Run flytui; returns the exit status (0, or 2 when the server cannot be used)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.demo:
        apply_profile(args, parser)
    if args.refresh < 0:
        parser.exit(EXIT_USAGE, "flytui: --refresh must be 0 (off) or a number of seconds.\n")
    if args.print_records:
        return _print_records(args, parser)
    stray = [flag for name, flag in _PRINT_ONLY if getattr(args, name) not in (None, False)]
    if stray:
        parser.exit(EXIT_USAGE, f"flytui: {', '.join(stray)} only apply with --print.\n")
    demo: DemoProcess | None = None
    if args.demo:
        from .demo_process import DemoProcess

        demo = DemoProcess()
        try:
            demo.launch()  # before the heavy imports below: the demo makes its data while they run
            from .app import FlyTUIApp  # noqa: F401 - imported here while the demo process makes its data

            address = demo.wait_address()
        except Exception as exc:  # noqa: BLE001
            demo.stop()
            print(f"flytui: could not start the built-in demo broker: {exc}", file=sys.stderr)
            return EXIT_USAGE
    from pyflymq.errors import AuthDisabledWarning

    from .model import ConnectionSettings
    from .service import FlyService, probe

    if demo is not None:
        settings = ConnectionSettings(servers=address)
        server_label = f"demo broker {address}"
    else:
        settings = settings_from_args(args, parser)
        server_label = ""  # the header names the server actually connected, not the whole list

    try:
        info = probe(settings)
    except Exception as exc:  # noqa: BLE001 - every failure becomes a message, never a traceback
        if demo is not None:
            demo.stop()
        print(explain_failure(exc, settings), file=sys.stderr)
        return EXIT_USAGE

    from .app import FlyTUIApp

    service = FlyService(settings, read_only=args.read_only)
    service.cluster_id = info.cluster_id
    service.user = info.user
    service.login_warning = info.login_warning
    # pyflymq warns on every connection whose login it did not send; the header says it once instead
    warnings.filterwarnings("ignore", category=AuthDisabledWarning)
    topic = args.topic or ("orders" if demo is not None else None)
    app = FlyTUIApp(service, server_label=server_label, demo=demo is not None, topic=topic,
                    group=args.group, refresh=args.refresh)
    # The first refresh pass and the first records, read before the app runs: the first screen is drawn with them.
    service.start_first_refresh(topic, FIRST_PAGE)
    service.wait_first_refresh(FIRST_REFRESH_WAIT)
    try:
        app.run()
    finally:
        service.close()
        if demo is not None:
            demo.stop()
    return app.return_code or 0


__all__ = ["main", "apply_profile", "build_parser", "explain_failure", "settings_from_args"]


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

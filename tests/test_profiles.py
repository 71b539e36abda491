"""Profiles: ``flytui NAME`` reads ``$XDG_CONFIG_HOME/flytui/config.toml`` (flytui/profiles.py, flytui/cli.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from flytui import cli
from flytui.cli import apply_profile, build_parser, main
from flytui.profiles import (
    Profile,
    ProfileError,
    config_path,
    load_profiles,
    looks_like_profile_name,
    profile_password,
)

PROD = """
[profiles.prod]
servers = "b1.example:9092,b2.example:9092"
user = "oncall"
password_env = "PROD_FLYMQ_PASSWORD"
ca = "certs/ca.pem"
read_only = true
topic = "orders"
group = "billing"

[profiles.staging]
servers = "staging:9092"
"""


@pytest.fixture
def config(tmp_path, monkeypatch):
    """Point XDG_CONFIG_HOME at a fresh directory; returns a function writing config.toml there."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.delenv("PROD_FLYMQ_PASSWORD", raising=False)

    def write(text: str) -> Path:
        path = tmp_path / "flytui" / "config.toml"
        path.parent.mkdir(exist_ok=True)
        path.write_text(text)
        return path

    return write


def resolve(*argv: str):
    parser = build_parser()
    args = parser.parse_args(list(argv))
    profile = apply_profile(args, parser)
    return args, profile


def exit_message(capsys, *argv: str) -> str:
    """Run ``main(argv)``, expect exit status 2 before anything connects, return stderr."""
    with pytest.raises(SystemExit) as exc:
        main(list(argv))
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err


def test_config_path_follows_xdg(tmp_path):
    assert config_path({"XDG_CONFIG_HOME": str(tmp_path)}) == tmp_path / "flytui" / "config.toml"
    assert config_path({"HOME": "/home/ann"}) == Path("/home/ann/.config/flytui/config.toml")
    assert config_path({"HOME": "/home/ann", "XDG_CONFIG_HOME": "relative"}) == Path(
        "/home/ann/.config/flytui/config.toml"), "a relative XDG_CONFIG_HOME is ignored (XDG spec)"


def test_profile_names_and_server_lists_are_told_apart():
    assert looks_like_profile_name("prod") and looks_like_profile_name("eu-west_2")
    for servers in ("localhost", "db1:9092", "a:1,b:2", "db1.example", "[::1]:9092"):
        assert not looks_like_profile_name(servers)


def test_missing_file_leaves_server_lists_alone(config):
    assert load_profiles(config_path()) == {}
    args, profile = resolve("db1:9092", "--topic", "t")
    assert profile is None and args.servers == "db1:9092" and args.topic == "t"
    args, profile = resolve()
    assert profile is None and args.servers == "localhost:9092"


def test_missing_file_and_a_profile_name_exits_2(config, capsys):
    err = exit_message(capsys, "prod")
    assert "no profile 'prod'" in err and "does not exist" in err and "prod:9092" in err


def test_malformed_file_names_the_line(config, capsys):
    path = config('[profiles.prod]\nservers = "b1:9092"\nread_only = yes\n')
    err = exit_message(capsys, "prod")
    assert str(path) in err and "not valid TOML" in err and "line 3" in err


def test_wrong_types_and_unknown_keys_are_explained(config, capsys):
    config('[profiles.prod]\nservers = "b1:9092"\nread_only = "yes"\n')
    assert "read_only must be true or false" in exit_message(capsys, "prod")
    config('[profiles.prod]\nservers = "b1:9092"\nreadonly = true\n')
    err = exit_message(capsys, "prod")
    assert "unknown keys: readonly" in err and "read_only" in err
    config('[profiles.prod]\nuser = "x"\n')
    assert "has no servers" in exit_message(capsys, "prod")


def test_unknown_profile_lists_the_known_ones(config, capsys):
    config(PROD)
    err = exit_message(capsys, "prdo")
    assert "no profile 'prdo'" in err and "Known profiles: prod, staging" in err


def test_profile_fills_the_options_and_reads_the_password_from_env(config, monkeypatch):
    path = config(PROD)
    monkeypatch.setenv("PROD_FLYMQ_PASSWORD", "s3cret")
    args, profile = resolve("prod")
    assert profile is not None and profile.name == "prod"
    assert args.servers == "b1.example:9092,b2.example:9092"
    assert (args.user, args.password, args.topic, args.group) == ("oncall", "s3cret", "orders", "billing")
    assert args.ca == str(path.parent / "certs" / "ca.pem"), "relative TLS paths are relative to the file"
    settings = cli.settings_from_args(args, build_parser())
    assert settings.tls and settings.username == "oncall" and settings.password == "s3cret"


def test_password_env_missing_exits_2(config, capsys):
    config(PROD)
    err = exit_message(capsys, "prod")
    assert "PROD_FLYMQ_PASSWORD" in err and "not set" in err


def test_command_line_overrides_the_profile(config, monkeypatch):
    config(PROD)
    monkeypatch.setenv("PROD_FLYMQ_PASSWORD", "s3cret")
    monkeypatch.setenv("MINE", "mine")
    args, _ = resolve("prod", "--topic", "payments", "--group", "audit", "--ca", "/etc/ca.pem")
    assert (args.topic, args.group, args.ca) == ("payments", "audit", "/etc/ca.pem")
    args, _ = resolve("prod", "--password-env", "MINE")
    assert args.password is None and args.password_env == "MINE", "the command line's password source wins"
    assert cli.settings_from_args(args, build_parser()).password == "mine"
    args, _ = resolve("prod", "--user", "admin")
    assert args.user == "admin" and args.password is None, "another user does not get the profile's password"


def test_read_only_cannot_be_turned_off(config):
    config('[profiles.prod]\nservers = "b1:9092"\nread_only = true\n'
           '[profiles.dev]\nservers = "d1:9092"\n')
    assert resolve("prod")[0].read_only
    assert resolve("dev", "--read-only")[0].read_only, "the command line can still turn it on"
    assert not resolve("dev")[0].read_only


def test_plain_password_needs_consent_and_warns(config, capsys):
    path = config('[profiles.lab]\nservers = "lab:9092"\nuser = "u"\npassword = "hunter2-xyz"\n')
    err = exit_message(capsys, "lab")
    assert "plain-text password" in err and "allow_plain_password = true" in err
    assert "hunter2-xyz" not in err
    with pytest.raises(ProfileError, match="plain-text password"):
        profile_password(Profile(name="lab", servers="s", password="p"), {}, path)
    config('[profiles.lab]\nservers = "lab:9092"\nuser = "u"\npassword = "hunter2-xyz"\n'
           "allow_plain_password = true\n")
    args, _ = resolve("lab")
    assert args.password == "hunter2-xyz"
    err = capsys.readouterr().err
    assert "warning" in err and "plain text" in err and str(path) in err and "hunter2-xyz" not in err


def test_a_profile_logs_in_and_starts_read_only(config, monkeypatch):
    """End to end up to the UI: the profile's servers, user and env password reach a real broker's login, and
    the app's service is read-only."""
    from flytui.app import FlyTUIApp
    from pyflymq.broker import Broker

    started: list[FlyTUIApp] = []
    monkeypatch.setattr(FlyTUIApp, "run", lambda self, *a, **k: started.append(self))
    with Broker(host="127.0.0.1", port=0, users=["oncall:s3cret:admin"]) as broker:
        config(f'[profiles.prod]\nservers = "{broker.address}"\nuser = "oncall"\n'
               'password_env = "PROD_FLYMQ_PASSWORD"\nread_only = true\ntopic = "orders"\n')
        monkeypatch.setenv("PROD_FLYMQ_PASSWORD", "s3cret")
        assert main(["prod"]) == 0
    (app,) = started
    assert app.service.read_only and app.service.user == "oncall" and app.start_topic == "orders"
    assert app.service.settings.servers == broker.address

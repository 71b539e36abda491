"""Named cluster profiles from ``$XDG_CONFIG_HOME/flytui/config.toml`` (default ``~/.config/flytui/config.toml``).

``flytui prod`` opens the profile ``prod``::

    [profiles.prod]
    servers = "b1.example:9092,b2.example:9092"
    user = "oncall"
    password_env = "PROD_FLYMQ_PASSWORD"   # the password is read from this environment variable
    ca = "~/certs/prod-ca.pem"            # TLS files: ~ expands, relative paths are relative to this file
    read_only = true                       # the command line cannot turn this off
    topic = "orders"
    group = "billing"

A password written in the file (``password = "..."``) is refused unless the profile also says
``allow_plain_password = true``; then it is used with a warning.

Pure: reads the file it is given and the environment mapping it is given, no Textual and no network.
Every problem is a :class:`ProfileError` whose message is one plain paragraph for stderr.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

__all__ = ["Profile", "ProfileError", "config_path", "load_profiles", "looks_like_profile_name",
           "profile_password"]


class ProfileError(Exception):
    """The config file or a profile cannot be used; the message says why and what to do."""


@dataclass(frozen=True)
class Profile:
    """One named cluster of the config file (paths already resolved, password not read yet)."""

    name: str
    servers: str
    user: str | None = None
    password_env: str | None = None
    password: str | None = None
    allow_plain_password: bool = False
    tls: bool = False
    ca: str | None = None
    cert: str | None = None
    key: str | None = None
    insecure: bool = False
    read_only: bool = False
    topic: str | None = None
    group: str | None = None


_TYPES: dict[str, type] = {f.name: (bool if f.type in ("bool", bool) else str) for f in fields(Profile)}
_KEYS = frozenset(_TYPES) - {"name"}
_PATH_KEYS = ("ca", "cert", "key")


def config_path(env: Mapping[str, str] | None = None) -> Path:
    """Where the config file is: ``$XDG_CONFIG_HOME/flytui/config.toml``, else ``~/.config/flytui/config.toml``."""
    env = os.environ if env is None else env
    base = env.get("XDG_CONFIG_HOME") or ""
    root = Path(base) if os.path.isabs(base) else Path(env.get("HOME") or Path.home()) / ".config"
    return root / "flytui" / "config.toml"


def looks_like_profile_name(argument: str) -> bool:
    """True when a SERVERS argument cannot be a server list: no port, no list, no dot, not ``localhost``.

    ``flytui prod`` means a profile; ``flytui db1:9092``, ``flytui a,b`` or ``flytui db1.example`` mean servers.
    """
    return not any(ch in argument for ch in ":,.[") and argument != "localhost"


def load_profiles(path: Path) -> dict[str, Profile]:
    """Every profile of the config file at ``path`` by name; an empty dict when the file does not exist."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ProfileError(f"cannot read the config file {path}: {exc.strerror or exc}.") from exc
    if sys.version_info >= (3, 11):  # imported here: most starts have no config file to parse
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    try:
        document = tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ProfileError(f"the config file {path} is not UTF-8 text ({exc.reason} at byte {exc.start}).") from exc
    except tomllib.TOMLDecodeError as exc:
        # the parser's message names the line and column, e.g. "Expected '=' ... (at line 3, column 7)"
        raise ProfileError(f"the config file {path} is not valid TOML: {exc}. Fix that line "
                           "(the README shows an example).") from exc
    unknown = sorted(set(document) - {"profiles"})
    if unknown:
        raise ProfileError(f"the config file {path} has unknown top-level entries: {', '.join(unknown)}. "
                           "Put each cluster in a [profiles.NAME] table.")
    tables = document.get("profiles", {})
    if not isinstance(tables, dict):
        raise ProfileError(f"in {path}, 'profiles' must be a table of [profiles.NAME] tables.")
    return {name: _profile(path, name, table) for name, table in tables.items()}


def _profile(path: Path, name: str, table: Any) -> Profile:
    where = f"in {path}, profile '{name}'"
    if not isinstance(table, dict):
        raise ProfileError(f"{where} must be a table ([profiles.{name}]).")
    unknown = sorted(set(table) - _KEYS)
    if unknown:
        raise ProfileError(f"{where} has unknown keys: {', '.join(unknown)}. Known keys: "
                           f"{', '.join(sorted(_KEYS))}.")
    values: dict[str, Any] = {}
    for key, value in table.items():
        expected = _TYPES[key]
        if not isinstance(value, expected):
            kind = "true or false" if expected is bool else "a quoted string"
            raise ProfileError(f"{where}: {key} must be {kind}, not {value!r}.")
        values[key] = value
    if not values.get("servers"):
        raise ProfileError(f'{where} has no servers. Add servers = "host:port" (a comma-separated list '
                           "fails over in order).")
    if values.get("password") is not None and values.get("password_env"):
        raise ProfileError(f"{where} sets both password and password_env; keep password_env.")
    for key in _PATH_KEYS:
        if values.get(key):
            values[key] = str((path.parent / Path(values[key]).expanduser()).resolve())
    return Profile(name=name, **values)


def profile_password(profile: Profile, env: Mapping[str, str], path: Path) -> tuple[str | None, str | None]:
    """The password of ``profile`` and a warning to print (or None).

    From the environment variable ``password_env`` (its absence is an error), or the plain ``password`` when
    ``allow_plain_password`` is true (with a warning); a plain password without that consent is an error.
    """
    if profile.password_env:
        value = env.get(profile.password_env)
        if value is None:
            raise ProfileError(f"profile '{profile.name}' reads its password from the environment variable "
                               f"{profile.password_env}, which is not set. Export it, or start flytui with "
                               "--password-prompt.")
        return value, None
    if profile.password is None:
        return None, None
    if not profile.allow_plain_password:
        raise ProfileError(f"in {path}, profile '{profile.name}' has a plain-text password. Use "
                           f'password_env = "VARIABLE" and export the password in that variable; to keep it '
                           "in the file anyway, add allow_plain_password = true.")
    return profile.password, (f"warning: profile '{profile.name}' keeps its password in plain text in {path} "
                              "(allow_plain_password = true); anyone who can read that file can sign in. "
                              "Prefer password_env.")

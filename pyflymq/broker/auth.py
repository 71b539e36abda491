"""Users, roles and the permission each op needs, when auth is on (flymq-wire §2.18, §3.9).

Roles are FlyMQ's built-in ones: ``admin`` (everything), ``producer`` (produce), ``consumer`` (consume) and
``guest`` (only what any signed-in user may do). A user is given as ``"NAME:PASSWORD:ROLE"`` (the password
may contain ``:``; several roles may be joined with ``,``) or as a ``(name, password, role)`` tuple.

:data:`OP_PERMISSIONS` is the one table of what each op needs. Unlike FlyMQ 1.26, which leaves COMMIT, the
DLQ, transaction, delayed and TTL ops, the schema registry, LIST_TOPICS and CLUSTER_METADATA unchecked, every
op but AUTH and WHOAMI is checked here.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from dataclasses import dataclass

from pyflymq.wire import Op

from .errors import OpError

PRODUCE, CONSUME, ADMIN = "produce", "consume", "admin"
SIGNED_IN = "signed-in"  # any authenticated user, whatever its roles

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    "admin": frozenset({PRODUCE, CONSUME, ADMIN}),
    "producer": frozenset({PRODUCE}),
    "consumer": frozenset({CONSUME}),
    "guest": frozenset(),
}

INVALID_CREDENTIALS = "invalid username or password"

# What each op needs when auth is on; None: nothing, not even a login. Consume covers the whole consumer
# side on any topic name, pseudo-topics such as ``__flymq_members.<topic>`` included (group coordination
# commits and reads offsets there).
OP_PERMISSIONS: dict[int, str | None] = {
    Op.AUTH: None,
    Op.WHOAMI: None,
    Op.LIST_TOPICS: SIGNED_IN,
    Op.CLUSTER_METADATA: SIGNED_IN,
    Op.GET_SCHEMA: SIGNED_IN,
    Op.LIST_SCHEMAS: SIGNED_IN,
    Op.VALIDATE_SCHEMA: SIGNED_IN,
    Op.PRODUCE: PRODUCE,
    Op.PRODUCE_WITH_SCHEMA: PRODUCE,
    Op.PRODUCE_DELAYED: PRODUCE,
    Op.PRODUCE_WITH_TTL: PRODUCE,
    Op.TXN_BEGIN: PRODUCE,
    Op.TXN_PRODUCE: PRODUCE,
    Op.TXN_COMMIT: PRODUCE,
    Op.TXN_ABORT: PRODUCE,
    Op.REPLAY_DLQ: PRODUCE,
    Op.CONSUME: CONSUME,
    Op.CONSUME_ZERO_COPY: CONSUME,
    Op.FETCH: CONSUME,
    Op.FETCH_BINARY: CONSUME,
    Op.SUBSCRIBE: CONSUME,
    Op.COMMIT: CONSUME,
    Op.GET_OFFSET: CONSUME,
    Op.GET_LAG: CONSUME,
    Op.FETCH_DLQ: CONSUME,
    Op.CREATE_TOPIC: ADMIN,
    Op.DELETE_TOPIC: ADMIN,
    Op.PURGE_DLQ: ADMIN,
    Op.RESET_OFFSET: ADMIN,
    Op.LIST_GROUPS: ADMIN,
    Op.DESCRIBE_GROUP: ADMIN,
    Op.DELETE_GROUP: ADMIN,
    Op.REGISTER_SCHEMA: ADMIN,
    Op.DELETE_SCHEMA: ADMIN,
}


@dataclass(frozen=True)
class User:
    """A configured user and what its roles allow."""

    name: str
    password: str
    roles: tuple[str, ...]

    @property
    def permissions(self) -> frozenset[str]:
        """The union of the roles' permissions."""
        out: frozenset[str] = frozenset()
        for role in self.roles:
            out |= ROLE_PERMISSIONS[role]
        return out


UserSpec = str | tuple[str, str, str]
"""A user as given to the broker: ``"NAME:PASSWORD:ROLE"`` or ``(name, password, role)``."""


def parse_user(spec: UserSpec) -> User:
    """A :class:`User` from ``"NAME:PASSWORD:ROLE"`` or ``(name, password, role)``; ValueError if malformed."""
    if isinstance(spec, str):
        name, sep, rest = spec.partition(":")
        password, sep2, role_text = rest.rpartition(":")
        if not sep or not sep2 or not name:
            raise ValueError(f"user {spec!r} is not NAME:PASSWORD:ROLE")
    else:
        name, password, role_text = spec
    roles = tuple(r.strip() for r in str(role_text).split(",") if r.strip())
    unknown = [r for r in roles if r not in ROLE_PERMISSIONS]
    if not roles or unknown:
        raise ValueError(f"user {name!r}: unknown role(s) {unknown or role_text!r}; "
                         f"known roles: {', '.join(ROLE_PERMISSIONS)}")
    return User(str(name), str(password), roles)


class Authenticator:
    """Checks credentials and permissions. With no users, auth is off and every op is allowed."""

    def __init__(self, users: Iterable[UserSpec] | None = None) -> None:
        parsed = [parse_user(u) for u in (users or [])]
        self._users = {u.name: u for u in parsed}
        self.enabled = bool(parsed)

    def authenticate(self, name: str, password: str) -> User:
        """The user for these credentials; OpError(``invalid username or password``) otherwise."""
        user = self._users.get(name)
        given = password.encode("utf-8", "surrogateescape")
        expected = (user.password if user else "\x00").encode("utf-8", "surrogateescape")
        if user is None or not hmac.compare_digest(given, expected):
            raise OpError(INVALID_CREDENTIALS)
        return user

    def require(self, user: User | None, permission: str | None) -> None:
        """Raise ``authentication required`` or ``unauthorized`` unless ``user`` may do this."""
        if not self.enabled or permission is None:
            return
        if user is None:
            raise OpError("authentication required")
        if permission != SIGNED_IN and permission not in user.permissions:
            raise OpError("unauthorized")

    def authorize(self, user: User | None, op: int) -> None:
        """:meth:`require` what :data:`OP_PERMISSIONS` says ``op`` needs (an op not listed needs admin)."""
        if self.enabled:
            self.require(user, OP_PERMISSIONS.get(op, ADMIN))

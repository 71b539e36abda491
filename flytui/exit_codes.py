"""Exit status of ``flytui --print`` and what each means: a module of its own, so that ``--help`` can list
them without importing the one-shot reader."""

from __future__ import annotations

EXIT_OK = 0
EXIT_SERVER = 1
EXIT_USAGE = 2
EXIT_NOT_FOUND = 3
EXIT_INTERRUPTED = 130

EXIT_CODES = {
    EXIT_OK: "done (also when the reader of the pipe went away, e.g. `| head`)",
    EXIT_SERVER: "the server could not be reached, refused the login, or failed while reading",
    EXIT_USAGE: "bad usage: a bad --filter expression (message and position on stderr), --from or option",
    EXIT_NOT_FOUND: "the topic, a --partition, or the group of --from group:NAME does not exist",
    EXIT_INTERRUPTED: "stopped by Ctrl-C (what was read so far has been written)",
}
"""Exit status of ``--print`` and what it means (also shown by ``--help``)."""

"""The broker CLI in a subprocess, for tests and benchmarks that must kill it or measure it from outside."""

from __future__ import annotations

import os
import signal
import subprocess
import sys


class BrokerProcess:
    """``python -m pyflymq.broker --port 0 ARGS`` started and waited for until it prints its ready line.

    ``source`` puts another checkout's sources first on ``PYTHONPATH`` (benchmarks compare versions).
    """

    def __init__(self, *args: str, source: str | None = None) -> None:
        env = dict(os.environ)
        if source:
            env["PYTHONPATH"] = source + os.pathsep + env.get("PYTHONPATH", "")
        self.proc = subprocess.Popen([sys.executable, "-m", "pyflymq.broker", "--port", "0", *args],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        self.line = self.proc.stdout.readline()
        if not self.line.startswith("listening on "):
            self.proc.kill()
            raise AssertionError(f"no ready line: {self.line!r} {self.proc.stderr.read()!r}")
        self.address = self.line.split()[-1]

    @property
    def pid(self) -> int:
        """The broker's process id."""
        return self.proc.pid

    def kill(self) -> None:
        """``kill -9`` and reap."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.communicate(timeout=10)

    def stop(self, signum: int = signal.SIGTERM) -> tuple[int, str, str]:
        """Send ``signum``; return (exit status, rest of stdout, stderr)."""
        self.proc.send_signal(signum)
        try:
            out, err = self.proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise
        return self.proc.returncode, out, err

    def rss_mb(self) -> float:
        """Resident memory of the broker process in MB."""
        with open(f"/proc/{self.proc.pid}/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return 0.0

    def __enter__(self) -> BrokerProcess:
        return self

    def __exit__(self, *exc_info) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.communicate()

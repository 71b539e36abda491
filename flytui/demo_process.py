"""``flytui --demo``'s broker in a process of its own, so the demo data is made on another core while the app
starts (making it takes about as long as importing the app).

    python -m flytui.demo_process

runs a :class:`~flytui.demo.DemoEnvironment` (broker, seeded data, live producer), prints
``listening on HOST:PORT`` once the data is in, or ``error: ...`` when it cannot start, and stops when its
standard input closes: :class:`DemoProcess` closes it, and so does the end of the app's process, however it
ends. Its standard error goes nowhere: it would be drawn over the app.
"""

from __future__ import annotations

import os
import select
import subprocess
import sys
from pathlib import Path

READY_PREFIX = "listening on "
START_TIMEOUT = 60.0
STOP_TIMEOUT = 5.0


class DemoProcess:
    """The demo broker process: :meth:`launch` it early, :meth:`wait_address` when the address is needed."""

    def __init__(self) -> None:
        self.process: subprocess.Popen[str] | None = None
        """The running process, from :meth:`launch` to :meth:`stop`."""
        self.address = ""

    def launch(self) -> None:
        """Start the process; returns at once (the data is made meanwhile)."""
        source = str(Path(__file__).resolve().parent.parent)  # the flytui this process runs, also from a checkout
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [source, os.environ.get("PYTHONPATH")])))
        self.process = subprocess.Popen([sys.executable, "-m", "flytui.demo_process"], stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)

    def wait_address(self, timeout: float = START_TIMEOUT) -> str:
        """The broker's address once the demo data is in; RuntimeError with the reason if it did not start
        (or said nothing within ``timeout`` seconds)."""
        if self.process is None or self.process.stdout is None:
            raise RuntimeError("the demo process was not launched")
        readable, _, _ = select.select([self.process.stdout], [], [], timeout)
        if not readable:
            raise RuntimeError(f"the demo process did not start within {timeout:.0f} s")
        line = self.process.stdout.readline().strip()
        if not line.startswith(READY_PREFIX):
            raise RuntimeError(line.removeprefix("error: ") or "the demo process ended without saying why")
        self.address = line.removeprefix(READY_PREFIX)
        return self.address

    def stop(self) -> None:
        """End the process (idempotent): close its input, wait a little, kill it if it is still there."""
        proc, self.process = self.process, None
        if proc is None:
            return
        try:
            if proc.stdin is not None:
                proc.stdin.close()
            proc.wait(timeout=STOP_TIMEOUT)
        except (OSError, subprocess.TimeoutExpired):
            proc.kill()
            proc.wait()
        finally:
            if proc.stdout is not None:
                proc.stdout.close()


def main() -> int:
    """Serve the demo until standard input closes."""
    from .demo import DemoEnvironment

    demo = DemoEnvironment()
    try:
        address = demo.start()
    except Exception as exc:  # noqa: BLE001 - reported to the app, which prints it
        demo.stop()
        print(f"error: {exc}", flush=True)
        return 1
    try:
        print(f"{READY_PREFIX}{address}", flush=True)
        sys.stdin.read()
    except (KeyboardInterrupt, OSError):
        pass
    finally:
        demo.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

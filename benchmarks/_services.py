"""Local services a benchmark starts for itself: a counting SMTP sink, a free port, a wait loop."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


SINK = """
import sys, time
from aiosmtpd.controller import Controller

class Count:
    async def handle_DATA(self, server, session, envelope):
        with open(sys.argv[2], "ab") as tally:
            tally.write(b".")
        return "250 OK"

controller = Controller(Count(), hostname="127.0.0.1", port=int(sys.argv[1]))
controller.start()
print("ready", flush=True)
try:
    time.sleep(3600)
finally:
    controller.stop()
"""


class Sink:
    """A local SMTP server in its own process (as a real relay would be) that counts what it receives."""

    def __init__(self, port: int, tally: Path) -> None:
        self.tally = tally
        tally.write_bytes(b"")
        self.process = subprocess.Popen([sys.executable, "-c", SINK, str(port), str(tally)], stdout=subprocess.PIPE)
        self.process.stdout.readline()

    @property
    def count(self) -> int:
        return self.tally.stat().st_size

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)
        self.tally.unlink(missing_ok=True)


def wait_until(predicate, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not predicate():
        time.sleep(0.05)

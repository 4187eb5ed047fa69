"""The processes a benchmark run starts, and the guarantee that they all stop with it.

Every process gets a session (process group) of its own, so that stopping it also stops what
it started (granian's workers). ``Processes.stop_all`` runs on normal exit, on an exception
and on SIGINT/SIGTERM (``__main__`` turns those into ``KeyboardInterrupt``/``SystemExit``).
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import socket
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

LOOPBACK = "127.0.0.1"
STOP_GRACE_SECONDS = 10.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Process:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.popen.pid

    def children(self) -> list[int]:
        """Direct children (granian's worker processes)."""
        try:
            found = Path(f"/proc/{self.pid}/task/{self.pid}/children").read_text()
        except OSError:
            return []
        return [int(pid) for pid in found.split()]

    def ask(self, command: str, within: float) -> str:
        """Sends one command line, answers the one line it replies (within ``within`` s)."""
        stdin, stdout = self.popen.stdin, self.popen.stdout
        assert stdin is not None
        assert stdout is not None
        stdin.write(command.encode() + b"\n")
        stdin.flush()
        ready, _, _ = select.select([stdout], [], [], within)
        if not ready:
            raise RuntimeError(f"{self.name} did not answer {command!r} in {within:.0f} s")
        answer = stdout.readline().decode().strip()
        if not answer:
            raise RuntimeError(f"{self.name} exited on {command!r}:\n{self.tail()}")
        return answer

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


class Processes:
    def __init__(self, logs: Path) -> None:
        self._logs = logs
        self._running: list[Process] = []

    def start(
        self, name: str, command: Sequence[str], env: Mapping[str, str] | None = None
    ) -> Process:
        log = self._logs / f"{name}.log"
        with log.open("ab") as output:
            popen = subprocess.Popen(
                list(command),
                env=dict(env) if env is not None else None,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        process = Process(name, popen, log)
        self._running.append(process)
        return process

    def start_piped(self, name: str, command: Sequence[str]) -> Process:
        """A process driven through its stdin and stdout (its stderr goes to the log)."""
        log = self._logs / f"{name}.log"
        with log.open("ab") as errors:
            popen = subprocess.Popen(
                list(command),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=errors,
                start_new_session=True,
            )
        process = Process(name, popen, log)
        self._running.append(process)
        return process

    def stop(self, process: Process) -> None:
        """SIGTERM to its process group, SIGKILL after the grace period."""
        if process in self._running:
            self._running.remove(process)
        if process.popen.poll() is not None:
            return
        _signal_group(process.pid, signal.SIGTERM)
        try:
            process.popen.wait(timeout=STOP_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            _signal_group(process.pid, signal.SIGKILL)
            process.popen.wait()
        # Children that outlived their parent (granian's workers) are in the same group.
        _signal_group(process.pid, signal.SIGKILL)

    def stop_all(self) -> None:
        for process in reversed(list(self._running)):
            self.stop(process)


def _signal_group(pid: int, signum: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):  # already gone
        os.killpg(pid, signum)


def wait_http(url: str, process: Process, within: float = 60.0) -> None:
    """Waits until ``url`` answers 200; fails with the process's log if it died or never did."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if process.popen.poll() is not None:
            raise RuntimeError(f"{process.name} exited early:\n{process.tail()}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{process.name} did not answer {url} in {within:.0f} s:\n{process.tail()}")


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time a process (all its threads) has used so far."""
    after_name = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    utime, stime = int(after_name[11]), int(after_name[12])
    return (utime + stime) / os.sysconf("SC_CLK_TCK")


def machine_cpu_seconds() -> tuple[float, float]:
    """(busy, total) CPU time of the whole machine so far, summed over its cores."""
    first_line = Path("/proc/stat").read_text().split("\n", 1)[0]
    user, nice, system, idle, iowait, irq, softirq, steal = map(int, first_line.split()[1:9])
    busy = user + nice + system + irq + softirq  # guest time is already inside user and nice
    hertz = os.sysconf("SC_CLK_TCK")
    return busy / hertz, (busy + idle + iowait + steal) / hertz


def rss_bytes(pid: int) -> int:
    """Resident memory of one process (VmRSS)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for {pid}")

"""A command run as a real child process whose output is read as it comes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading

from gridalert.streams.broker import detach_and_die_with_parent
from tests.support.waiting import wait_until


class Command:
    """``python -m gridalert ARGS`` with stdout and stderr collected line by line."""

    def __init__(self, *args: str, env: dict[str, str]):
        self.lines: list[str] = []
        self.process = subprocess.Popen([sys.executable, "-m", "gridalert", *args], env=env, text=True,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                        preexec_fn=detach_and_die_with_parent)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_for(self, text: str, *, timeout_s: float = 120) -> None:
        try:
            wait_until(lambda: text in self.output or self.process.poll() is not None, timeout_s=timeout_s,
                       what=repr(text))
        except AssertionError:
            raise AssertionError(f"{text!r} not printed within {timeout_s:.0f} s; output:\n{self.output}") from None
        assert text in self.output, f"exited with {self.process.returncode} before {text!r}:\n{self.output}"

    def interrupt(self, *, timeout_s: float = 60) -> int:
        """Ctrl-C, as a terminal would send it to the foreground command."""
        self.process.send_signal(signal.SIGINT)
        code = self.process.wait(timeout=timeout_s)
        self._reader.join(timeout=5)
        return code

    def kill(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

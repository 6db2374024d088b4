"""What every build step shares: the one-line error and the progress line."""

from __future__ import annotations


class BuildError(RuntimeError):
    """A build step failed; the message is one line saying why."""


def say(message: str) -> None:
    print(f"mognad build: {message}", flush=True)

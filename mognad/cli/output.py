"""What every command prints goes through one function (flushed, so a pipe or a task log
shows it at once)."""


def say(msg: str) -> None:
    print(msg, flush=True)

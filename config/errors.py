"""The one error type for bad configuration: it names the file, the entry and the problem."""

from __future__ import annotations

from pathlib import Path


class ConfigError(Exception):
    """Configuration that cannot be used; start-up stops and prints every problem found.

    ``problems`` is a list of ``(entry, problem)`` pairs for one file; ``entry`` is a path into
    the document such as ``staff[3].channels[0]`` or ``features[12] (grid_id GY-07)``.
    """

    def __init__(self, file: str | Path, problems: list[tuple[str, str]]):
        self.file = str(file)
        self.problems = list(problems)
        super().__init__(self.render())

    def render(self) -> str:
        lines = [f"{self.file}: {entry}: {problem}" for entry, problem in self.problems]
        return "\n".join(lines)


class ConfigErrors(Exception):
    """Every ``ConfigError`` of one configuration directory, reported together."""

    def __init__(self, errors: list[ConfigError]):
        self.errors = list(errors)
        super().__init__(self.render())

    def render(self) -> str:
        return "\n".join(error.render() for error in self.errors)

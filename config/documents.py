"""Reading YAML configuration files and turning validation errors into ``(entry, problem)`` lines.

Shared by the district loader and the device registry, so every file reports problems the same
way: ``line 3, column 1: not valid YAML: …`` or ``staff[3] (id gh-07).area: …``. Imports nothing
of gridalert but the error type, so any package may use it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import yaml
from pydantic import ValidationError

from gridalert.config.errors import ConfigError


def read_yaml(path: Path, data: Optional[bytes] = None) -> Any:
    """The YAML document of ``path`` (or of ``data`` read from it); a BOM is allowed."""
    try:
        text = (path.read_bytes() if data is None else data).decode("utf-8-sig")
        return yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(unknown place)"
        raise ConfigError(path, [(where, f"not valid YAML: {exc.problem}")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(path, [("(file)", f"cannot be read: {exc}")]) from None


def entry_of(loc: tuple[Any, ...], document: Any) -> str:
    """Render a pydantic error location as ``staff[3] (id gh-01).channels[0]``."""
    text, node = "", document
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
            node = node[part] if isinstance(node, list) and part < len(node) else None
            if isinstance(node, dict) and "id" in node:
                text += f" (id {node['id']})"
        else:
            text += f".{part}" if text else str(part)
            node = node.get(part) if isinstance(node, dict) else None
    return text or "(top level)"


def problem_of(err: dict[str, Any]) -> str:
    if err["type"] == "extra_forbidden":
        return "unknown key (check its spelling)"
    if err["type"] == "missing":
        return "required but missing"
    return str(err["msg"]).removeprefix("Value error, ")


def validation_problems(exc: ValidationError, document: Any) -> list[tuple[str, str]]:
    return [(entry_of(err["loc"], document), problem_of(err)) for err in exc.errors()]

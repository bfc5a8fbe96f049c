"""A copy of the sample district to change in a test, one YAML file at a time."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Callable

import yaml

from gridalert.config import SAMPLE_CONFIG_DIR


def copy_sample(target: Path) -> Path:
    shutil.copytree(SAMPLE_CONFIG_DIR, target)
    return target


def edit_yaml(path: Path, change: Callable[[dict], None]) -> None:
    """Load ``path``, let ``change`` edit the document in place, write it back (keys in order)."""
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(document)
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8")

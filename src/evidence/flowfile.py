"""Find the Prefect flows (top-level ``flows/``) for the CLI, without the library importing Prefect."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from .errors import EvidenceError


def flows_dir() -> Path:
    here = Path(__file__).resolve().parent
    for candidate in (here / "_flows", here.parent.parent / "flows"):
        if (candidate / "nightly.py").is_file():
            return candidate
    raise EvidenceError(f"flows/nightly.py was not found near {here}; reinstall the package")


def load_nightly_module() -> ModuleType:
    name = "evidence_flows_nightly"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, flows_dir() / "nightly.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def load_nightly_flow() -> Any:
    return load_nightly_module().nightly

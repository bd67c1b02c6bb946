"""The layers are enforced by `make test`: import-linter's contracts (pyproject.toml [tool.importlinter]) and
ruff's PLC0415 (no imports inside functions, which would hide a dependency from the contracts)."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

pytestmark = pytest.mark.slow


def run(*command: str) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_the_import_contracts_hold():
    result = run(str(BIN / "lint-imports"), "--no-cache")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 4 kept, 0 broken." in result.stdout  # all four contracts were read and checked


def test_no_imports_inside_functions():
    result = run(str(BIN / "ruff"), "check", "--select", "PLC0415", "--output-format", "concise", ".")
    assert result.returncode == 0, result.stdout + result.stderr

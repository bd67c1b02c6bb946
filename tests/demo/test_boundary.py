"""The demo sits above every app: it may import them all, and no production module imports it."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUTSIDE = {".venv", "var", "tests", "demo", "benchmarks", "scripts", "node_modules"}


def imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_no_production_module_imports_the_demo():
    offenders = []
    for path in ROOT.rglob("*.py"):
        relative = path.relative_to(ROOT)
        if relative.parts[0] in OUTSIDE:
            continue
        if any(name == "demo" or name.startswith("demo.") for name in imported_modules(path)):
            offenders.append(str(relative))
    assert offenders == []


def test_the_check_sees_an_import_of_the_demo(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from demo.seed import cases\n")
    assert "demo.seed" in imported_modules(module)

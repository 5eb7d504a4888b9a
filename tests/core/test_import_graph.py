"""The project package knows no app: access, the home page, backup and the demo are
registries the apps add to, so the import graph runs one way (apps → resettle)."""

import ast
from pathlib import Path

APPS = ("participants", "sessions", "riskplans", "crisisline", "reports")
ROOT = Path(__file__).resolve().parents[2]


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def test_no_resettle_module_imports_an_app():
    offenders = {}
    for path in (ROOT / "resettle").rglob("*.py"):
        if "migrations" in path.parts:
            continue
        wrong = {name for name in imports_of(path) if name.split(".")[0] in APPS}
        if wrong:
            offenders[str(path.relative_to(ROOT))] = sorted(wrong)
    assert offenders == {}


def test_every_app_has_its_own_access_module():
    for app in APPS:
        assert (ROOT / app / "access.py").exists(), app

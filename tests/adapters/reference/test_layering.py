"""adapters.reference is pure model code: no simulator, no harness."""

import ast
import pathlib
import sys

PACKAGE = pathlib.Path(__file__).resolve().parents[3] / "adapters" / "reference"
ALLOWED = {"adapters", "wam_tts", "torch", "numpy", "tqdm", "__future__"}


def test_reference_models_import_only_the_core_torch_and_numpy():
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            for name in names:
                top = name.split(".")[0]
                if name.startswith("adapters.") and not name.startswith("adapters.reference"):
                    offenders.append(f"{path.name}: {name}")
                elif top not in ALLOWED and top not in sys.stdlib_module_names:
                    offenders.append(f"{path.name}: {name}")
    assert offenders == []

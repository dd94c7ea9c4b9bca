"""Arrows point down only: wam_tts imports neither adapters nor eval; adapters never import eval."""

import ast
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]

def imported_packages(path: pathlib.Path) -> list[str]:
    """Top-level names of every absolute import in ``path``, function-level ones included."""
    names = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names.append(node.module or "")
    return names


def upward_imports(package: str, forbidden: tuple[str, ...]) -> dict[str, list[str]]:
    """``{file: [imported module, ...]}`` for the files of ``package`` that import a forbidden one."""
    found = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        bad = [n for n in imported_packages(path) if n.split(".")[0] in forbidden]
        if bad:
            found[path.relative_to(ROOT).as_posix()] = bad
    return found


def test_no_source_file_imports_adapters_or_eval():
    assert upward_imports("wam_tts", ("adapters", "eval")) == {}


def test_no_adapter_module_imports_eval():
    """Reference training and evaluation drive env backends, so they live in eval.reference_training."""
    assert upward_imports("adapters", ("eval",)) == {}


def _modules_loaded_by_importing(package: str, skip: set[str]) -> list[str]:
    code = (
        "import sys, pathlib, importlib\n"
        f"root = pathlib.Path({str(ROOT)!r})\n"
        f"skip = {sorted(skip)!r}\n"
        f"files = [p for p in sorted((root / {package!r}).rglob('*.py')) if p.relative_to(root).as_posix() not in skip]\n"
        "mods = ['.'.join(p.relative_to(root).with_suffix('').parts).removesuffix('.__init__') for p in files]\n"
        "[importlib.import_module(m) for m in mods]\n"
        "print(sorted({m.split('.')[0] for m in sys.modules}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    return ast.literal_eval(out.stdout.strip())


def test_importing_the_core_loads_no_adapters_eval_or_pandas():
    """Every core module (diagnostics, which needs pandas, aside) imports without them."""
    loaded = _modules_loaded_by_importing("wam_tts", {p.relative_to(ROOT).as_posix()
                                                       for p in (ROOT / "wam_tts" / "diagnostics").rglob("*.py")})
    assert {"adapters", "eval", "pandas"} & set(loaded) == set()


def test_importing_every_adapter_module_loads_no_eval():
    assert "eval" not in _modules_loaded_by_importing("adapters", set())

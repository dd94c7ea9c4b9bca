"""Mutation testing of the core library and the results store (``make mutate``; not run in CI).

Each mutant is one small, realistic bug put into one source file: an operator or
comparison swapped, a constant changed, a call dropped, a slice changed, a guard
disabled, two statements swapped. The script applies the mutants one at a time, runs
the fast tests relevant to the mutated file (``-x``, with a timeout), restores the
file and prints the kill rate and every surviving mutant. The issue-17 bugs
(:data:`ISSUE_ROWS`) always run; the generated ones are sampled with a fixed seed.

    python tests/mutation/mutate.py --sample 150 --seed 0 [--root DIR] [--json out.json]

``--root`` mutates a copy of the repository (so a run does not touch the worktree);
the default is this checkout, whose files are restored even on Ctrl-C.
"""

from __future__ import annotations

import argparse
import ast
import json
import random
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TARGETS = ("wam_tts", "eval/results.py", "eval/trials.py")
#: Files that hold no behaviour worth mutating (re-exports only).
SKIP = ("wam_tts/__init__.py", "wam_tts/diagnostics/__init__.py")
PYTEST = ["-x", "-q", "-p", "no:cacheprovider", "-m", "not slow", "--no-header", "-W", "ignore"]
#: Calls whose removal (``f(x, ...)`` → ``x``) is a realistic bug: a forgotten normalisation or copy.
DROPPABLE_CALLS = {
    "normalize", "clone", "abs", "sqrt", "exp", "log", "sorted", "float", "round", "mean", "sum",
    "softmax", "detach", "contiguous", "relu", "clamp", "clip", "nan_to_num", "dropna", "unique",
    "reset_index", "sort_values", "astype", "to_numpy", "copy", "fillna", "max", "min",
}
BINOP_SWAPS = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult,
               ast.FloorDiv: ast.Div, ast.Mod: ast.FloorDiv, ast.Pow: ast.Mult}
CMP_SWAPS = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt,
             ast.Eq: ast.NotEq, ast.NotEq: ast.Eq, ast.Is: ast.IsNot, ast.IsNot: ast.Is,
             ast.In: ast.NotIn, ast.NotIn: ast.In}


@dataclass(frozen=True)
class Mutant:
    """One bug: ``old`` (exact source text) at ``line`` of ``path`` replaced by ``new``.

    ``col`` is the byte offset of ``old`` in its line; -1 means its first occurrence
    (line 0: anywhere in the file).
    """

    path: str
    line: int
    kind: str
    old: str
    new: str
    col: int = -1

    def label(self) -> str:
        return f"{self.path}:{self.line} [{self.kind}] {self.old!r} -> {self.new!r}"


#: The eight bugs issue 17 found surviving the suite: each must be killed.
ISSUE_ROWS = (
    Mutant("wam_tts/seeding.py", 0, "row1 seed parts joined without separator",
           '"/".join(str(p) for p in parts)', '"".join(str(p) for p in parts)'),
    Mutant("wam_tts/action_space.py", 0, "row2 quaternions not normalised",
           "    q = torch.nn.functional.normalize(q, dim=-1)\n    m = torch.einsum",
           "    m = torch.einsum"),
    Mutant("wam_tts/action_space.py", 0, "row3 linear quaternion mean, not renormalised",
           "    mean = torch.linalg.eigh(m).eigenvectors[..., -1]\n",
           "    mean = torch.einsum('n,nhi->hi', w, q * torch.sign((q * q[anchor]).sum(-1, keepdim=True)))\n"),
    Mutant("wam_tts/action_space.py", 0, "row4 gripper averaged as a rotation",
           "            if name in ROTATIONS:", "            if name in ROTATIONS + ('gripper',):"),
    Mutant("wam_tts/diagnostics/prediction.py", 0, "row5 AUC of training predictions",
           'proba = cross_val_predict(LogisticRegression(), x, y, cv=folds, method="predict_proba")[:, 1]',
           "proba = LogisticRegression().fit(x, y).predict_proba(x)[:, 1]"),
    Mutant("eval/trials.py", 0, "row6 shards without the stride", "return pairs[index::count]",
           "return pairs[index:]"),
    Mutant("eval/results.py", 0, "row7 duplicate-trial guard disabled", "    if duplicated.any():",
           "    if False:"),
    Mutant("eval/results.py", 0, "row8 commit marker written before the steps",
           '        _atomic_write_table(steps, self.steps_dir / f"{stem}.parquet")\n'
           '        _atomic_write_table(episode, self.episodes_dir / f"{stem}.parquet")\n',
           '        _atomic_write_table(episode, self.episodes_dir / f"{stem}.parquet")\n'
           '        _atomic_write_table(steps, self.steps_dir / f"{stem}.parquet")\n'),
)


def target_files(root: Path) -> list[str]:
    files = []
    for target in TARGETS:
        path = root / target
        found = sorted(path.rglob("*.py")) if path.is_dir() else [path]
        files += [str(p.relative_to(root)) for p in found if str(p.relative_to(root)) not in SKIP]
    return files


def relevant_tests(path: str, root: Path) -> list[str]:
    """The fast test files that exercise ``path``."""
    parts = Path(path).parts
    if parts[0] == "eval":
        names = ("test_results.py", "test_run.py", "test_store_contracts.py")
        return [f"tests/eval/{n}" for n in names if (root / "tests/eval" / n).exists()]
    if "diagnostics" in parts:
        own = root / "tests/wam_tts/diagnostics" / f"test_{Path(path).stem.lstrip('_')}.py"
        return [str(own.relative_to(root))] if own.exists() else ["tests/wam_tts/diagnostics"]
    core = sorted(p for p in (root / "tests/wam_tts").glob("test_*.py") if p.name != "test_layering.py")
    return [str(p.relative_to(root)) for p in core]


def _segment(lines: list[str], node: ast.AST) -> str | None:
    if node.lineno != node.end_lineno:
        return None
    return lines[node.lineno - 1].encode()[node.col_offset:node.end_col_offset].decode()  # offsets count bytes


def _docstring_lines(tree: ast.AST) -> set[int]:
    out: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                out.update(range(body[0].lineno, body[0].end_lineno + 1))
    return out


def _message_lines(tree: ast.AST) -> set[int]:
    """Lines inside ``raise``/``warnings.warn`` calls: mutating messages is not a behaviour bug."""
    out: set[int] = set()
    for node in ast.walk(tree):
        is_warn = isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "warn"
        if isinstance(node, ast.Raise) or is_warn:
            out.update(range(node.lineno, node.end_lineno + 1))
    return out


def generate(path: str, root: Path) -> list[Mutant]:
    """Every single-line mutant of one file that still parses."""
    source = (root / path).read_text()
    lines = source.splitlines()
    tree = ast.parse(source)
    skip = _docstring_lines(tree) | _message_lines(tree)
    # annotations, parameter defaults and decorators: changing them is rarely a behaviour bug
    ignored = {id(n.annotation) for n in ast.walk(tree) if getattr(n, "annotation", None) is not None}
    for fn in ast.walk(tree):
        if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            ignored |= {id(d) for d in fn.decorator_list}
        if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            ignored |= {id(d) for d in [*fn.args.defaults, *fn.args.kw_defaults] if d is not None}
    ignored = {id(n) for top in ast.walk(tree) if id(top) in ignored for n in ast.walk(top)}
    out: list[Mutant] = []

    def add(node: ast.AST, kind: str, new: str) -> None:
        old = _segment(lines, node)
        if old is None or old == new or node.lineno in skip:
            return
        out.append(Mutant(path, node.lineno, kind, old, new, node.col_offset))

    def unparse_with(node: ast.AST, **changes) -> str:
        clone = type(node)(**{**{f: getattr(node, f) for f in node._fields}, **changes})
        return ast.unparse(ast.copy_location(clone, node))

    for node in ast.walk(tree):
        if id(node) in ignored:
            continue
        if isinstance(node, ast.BinOp) and type(node.op) in BINOP_SWAPS:
            add(node, "operator", unparse_with(node, op=BINOP_SWAPS[type(node.op)]()))
        elif isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in CMP_SWAPS:
            add(node, "comparison", unparse_with(node, ops=[CMP_SWAPS[type(node.ops[0])]()]))
        elif isinstance(node, ast.BoolOp):
            add(node, "boolean", unparse_with(node, op=ast.Or() if isinstance(node.op, ast.And) else ast.And()))
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.Not, ast.USub)):
            add(node, "drop unary", ast.unparse(node.operand))
        elif isinstance(node, ast.Constant) and type(node.value) in (int, float) and not isinstance(node.value, bool):
            add(node, "constant", repr(node.value + 1 if isinstance(node.value, int) else node.value * 2 or 1.0))
        elif isinstance(node, ast.Constant) and isinstance(node.value, bool):
            add(node, "constant", repr(not node.value))
        elif isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Slice):
            sl = node.slice
            for field in ("lower", "upper", "step"):
                if getattr(sl, field) is not None:
                    add(node, "slice", unparse_with(node, slice=unparse_slice(sl, field)))
        elif isinstance(node, ast.Call) and _call_name(node) in DROPPABLE_CALLS:
            kept = _dropped_call(node)
            if kept is not None and not isinstance(kept, ast.Constant):
                add(node, "drop call", ast.unparse(kept))
        elif isinstance(node, ast.If) and node.lineno not in skip:
            test = _segment(lines, node.test)
            if test is not None:
                col = node.test.col_offset
                out.append(Mutant(path, node.test.lineno, "negate condition", test, f"not ({test})", col))
                if any(isinstance(n, ast.Raise) for n in node.body):
                    out.append(Mutant(path, node.test.lineno, "guard disabled", test, "False", col))
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call) and node.lineno not in skip:
            add(node, "drop statement", "pass")
    return [m for m in out if _still_parses(source, m)]


def _call_name(node: ast.Call) -> str | None:
    return getattr(node.func, "attr", getattr(node.func, "id", None))


def _dropped_call(node: ast.Call) -> ast.AST | None:
    """What is left of ``node`` without the call: its argument (``f(x)``, ``torch.f(x)``) or receiver (``x.f()``)."""
    if isinstance(node.func, ast.Attribute) and not _is_module_path(node.func.value):
        return node.func.value
    return node.args[0] if node.args else None


def _is_module_path(node: ast.AST) -> bool:
    while isinstance(node, ast.Attribute):
        node = node.value
    return isinstance(node, ast.Name) and node.id in ("torch", "np", "math", "F", "stats", "pd")


def unparse_slice(sl: ast.Slice, drop: str) -> ast.Slice:
    return ast.Slice(**{f: (None if f == drop else getattr(sl, f)) for f in ("lower", "upper", "step")})


def apply(source: str, mutant: Mutant) -> str:
    """``source`` with the mutant put in (first occurrence on its line, or anywhere for line 0)."""
    if mutant.line == 0:
        if mutant.old not in source:
            raise ValueError(f"mutant text not found: {mutant.label()}")
        return source.replace(mutant.old, mutant.new, 1)
    lines = source.splitlines(keepends=True)
    line = lines[mutant.line - 1].encode()
    old, new = mutant.old.encode(), mutant.new.encode()
    col = line.find(old) if mutant.col < 0 else mutant.col
    if col < 0 or line[col:col + len(old)] != old:
        raise ValueError(f"mutant text not at its place: {mutant.label()}")
    lines[mutant.line - 1] = (line[:col] + new + line[col + len(old):]).decode()
    return "".join(lines)


def _still_parses(source: str, mutant: Mutant) -> bool:
    try:
        ast.parse(apply(source, mutant))
    except (SyntaxError, ValueError):
        return False
    return True


def run_mutant(mutant: Mutant, root: Path, timeout: float, every_failure: bool = False) -> tuple[str, float, list[str]]:
    """``"killed"``, ``"survived"`` or ``"timeout"`` (counted as killed), seconds taken, and
    the failing tests (all of them with ``every_failure``, else the first)."""
    path = root / mutant.path
    original = path.read_text()
    start = time.perf_counter()
    failed: list[str] = []
    try:
        path.write_text(apply(original, mutant))
        options = [o for o in PYTEST if not (every_failure and o == "-x")] + ["-rf"]
        cmd = [sys.executable, "-m", "pytest", *options, *relevant_tests(mutant.path, root)]
        proc = subprocess.run(cmd, cwd=root, capture_output=True, text=True, timeout=timeout)
        outcome = "survived" if proc.returncode == 0 else "killed"
        failed = [line.split()[1] for line in proc.stdout.splitlines() if line.startswith(("FAILED ", "ERROR "))]
    except subprocess.TimeoutExpired:
        outcome = "timeout"
    finally:
        path.write_text(original)
    return outcome, time.perf_counter() - start, failed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=REPO, help="repository copy to mutate")
    parser.add_argument("--sample", type=int, default=150, help="generated mutants to run (0: all)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=180.0, help="seconds per mutant's test run")
    parser.add_argument("--json", type=Path, help="write every outcome here")
    parser.add_argument("--list", action="store_true", help="print the mutants and exit")
    parser.add_argument("--rows", action="store_true", help="only the issue rows, naming every test that fails")
    parser.add_argument("--rerun", type=Path, help="a --json file of an earlier run: rerun its survivors only")
    args = parser.parse_args()
    root = args.root.resolve()
    generated = [m for f in target_files(root) for m in generate(f, root)]
    rng = random.Random(args.seed)
    sampled = rng.sample(generated, min(args.sample, len(generated))) if args.sample else generated
    mutants = [*ISSUE_ROWS, *sorted(sampled, key=lambda m: (m.path, m.line, m.kind, m.new))]
    if args.rows:
        mutants = list(ISSUE_ROWS)
    earlier: list[dict] = []
    if args.rerun:
        earlier = [r for r in json.loads(args.rerun.read_text()) if r["outcome"] != "survived"]
        mutants = [Mutant(**{k: v for k, v in r.items() if k in Mutant.__dataclass_fields__})
                   for r in json.loads(args.rerun.read_text()) if r["outcome"] == "survived"]
        print(f"rerunning the {len(mutants)} survivors of {args.rerun} ({len(earlier)} killed there)")
    print(f"{len(generated)} generated mutants in {len(target_files(root))} files; running "
          f"{len(ISSUE_ROWS)} issue rows + {len(sampled)} sampled (seed {args.seed}) in {root}", flush=True)
    if args.list:
        print("\n".join(m.label() for m in mutants))
        return
    results = []
    for i, mutant in enumerate(mutants, 1):
        outcome, seconds, failed = run_mutant(mutant, root, args.timeout, every_failure=args.rows)
        results.append({**asdict(mutant), "outcome": outcome, "seconds": round(seconds, 1), "failed": failed})
        print(f"[{i}/{len(mutants)}] {outcome:8s} {seconds:5.1f}s {mutant.label()}", flush=True)
        for test in failed if args.rows else ():
            print(f"    caught by {test}", flush=True)
    results = earlier + results
    survivors = [r for r in results if r["outcome"] == "survived"]
    rows = [r for r in results if r["kind"].startswith("row")]
    killed = len(results) - len(survivors)
    print(f"\nkill rate: {killed}/{len(results)} = {100 * killed / len(results):.1f} %  "
          f"(issue rows: {sum(r['outcome'] != 'survived' for r in rows)}/{len(rows)} killed)")
    for r in survivors:
        print(f"survived: {Mutant(**{k: v for k, v in r.items() if k in Mutant.__dataclass_fields__}).label()}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()

"""The benchmark's results, its targets, and the markdown written to docs/benchmarks.md."""

from __future__ import annotations

from dataclasses import dataclass, field

from eval.bench.exploring import ExploringCost
from eval.bench.harness import HarnessCost
from eval.bench.reference import ActProfile, QueryTiming
from eval.bench.selection import BENCHED_SELECTORS, FLOOR_SCORES, MEMORY_PASS, ScoringTime

#: Targets of the benchmark issue.
SCORING_FRACTION = 0.01  # consensus scoring / one query of the model it serves
FLOOR_RATIO = 3.0  # a future-space score against one read of the futures
COSMOS_N16_MS = 1.0  # consensus scoring of 16 Cosmos-sized latents on the CPU
BATCHED_SPEEDUP = 5.0  # N = 8 batched against eight sequential calls
EXPLORING_FRACTION = 0.05  # save/restore against executing a branch
HARNESS_FRACTION = 0.05  # harness overhead against one env step


@dataclass
class BenchResults:
    """Everything one ``python -m eval.bench`` run measured."""

    command: str
    machine: str
    load_start: str
    load_end: str = ""
    duration_s: float = 0.0
    task: str = "Lift"
    sources: dict[str, str] = field(default_factory=dict)
    queries: list[QueryTiming] = field(default_factory=list)
    profile: ActProfile | None = None
    latents: list[ScoringTime] = field(default_factory=list)
    floor: list[ScoringTime] = field(default_factory=list)
    exploring: ExploringCost | None = None
    harness: HarnessCost | None = None
    memory: list[dict] = field(default_factory=list)
    gpu: str | None = None
    gpu_latents: list[ScoringTime] = field(default_factory=list)
    gpu_peaks: dict[tuple[str, int], int] = field(default_factory=dict)
    lingbot: list[dict] | None = None
    lingbot_skipped: str = "not run (add --lingbot; needs .venv-lerobot)"


@dataclass(frozen=True)
class Target:
    name: str
    measured: str
    met: bool | None
    """None: not measurable on this machine."""


def targets(r: BenchResults) -> list[Target]:
    """Every target of the issue with this run's figure."""
    out = []
    if r.queries:
        worst = max(r.queries, key=lambda q: q.scoring_s["consensus"] / q.batched_s)
        at8 = [q for q in r.queries if q.n == 8]
        figures = ", ".join(f"{q.family} N=8: {_pct(q.scoring_s['consensus'] / q.batched_s)}" for q in at8)
        ns = sorted({q.n for q in r.queries})
        out.append(Target(
            "consensus scoring < 1 % of the query of the reference WAM it serves",
            f"{figures}; worst over N = {ns[0]}-{ns[-1]}: {_pct(worst.scoring_s['consensus'] / worst.batched_s)} "
            f"({worst.family} N={worst.n}: {_ms(worst.scoring_s['consensus'])} of {_ms(worst.batched_s)})",
            worst.scoring_s["consensus"] / worst.batched_s < SCORING_FRACTION))
    cosmos16 = [s for s in r.latents if s.family.startswith("Cosmos") and s.n == 16 and s.selector == "consensus"]
    if cosmos16:
        out.append(Target("consensus scoring of N = 16 Cosmos-sized latents < 1 ms on this CPU",
                          _ms(cosmos16[0].seconds), cosmos16[0].seconds * 1e3 < COSMOS_N16_MS))
    if r.floor:
        ratios = floor_ratios(r.floor)
        (family, n, score), worst_ratio = max(ratios.items(), key=lambda kv: kv[1])
        out.append(Target(f"every future-space score within {FLOOR_RATIO:g}x of one memory pass at N = 8-32",
                          f"worst {worst_ratio:.1f}x ({score}, {family}, N={n})", worst_ratio <= FLOOR_RATIO))
    if r.latents:
        worst = max((s for s in r.latents if s.selector == "consensus"), key=lambda s: s.seconds)
        out.append(Target(
            "consensus scoring < 1 % of a Cosmos-Policy / LingBot-VA query",
            f"scoring at most {_ms(worst.seconds)} ({worst.family}, N={worst.n}) on this CPU; their query "
            "time cannot be measured here (GPU models, weights not on this machine)", None))
    for q in (q for q in r.queries if q.n == 8):
        out.append(Target(f"{q.family} WAM: N = 8 batched >= 5x faster than 8 sequential calls",
                          f"{q.speedup:.1f}x ({_ms(q.batched_s)} vs {_ms(q.sequential_s)})",
                          q.speedup >= BATCHED_SPEEDUP))
    if r.exploring is not None:
        e = r.exploring
        out.append(Target("exploring: save/restore < 5 % of executing one branch",
                          f"{_pct(e.ratio)} ({_ms(e.save_restore_s)} vs {_ms(e.execute_s)} per branch)",
                          e.ratio < EXPLORING_FRACTION))
    if r.harness is not None:
        h = r.harness
        out.append(Target("harness overhead per control step < 5 % of the env step",
                          f"{_pct(h.ratio)} ({_ms(h.overhead_s)} vs {_ms(h.env_step_s)})",
                          h.ratio < HARNESS_FRACTION))
    out.append(Target("GPU figures only when measured on a GPU",
                      f"measured on {r.gpu}" if r.gpu else "no GPU on this machine: no GPU figures", None))
    return out


def render(r: BenchResults) -> str:
    """The whole markdown document."""
    parts = [
        "# Benchmarks",
        "",
        f"Written by `{r.command}` (`make bench` runs it); every figure below comes from that one run, "
        "and each ratio from timings taken side by side (interleaved). Regenerate rather than edit.",
        "",
        f"- Machine: {r.machine}",
        f"- Load average (1 / 5 / 15 min) at the start: {r.load_start}; at the end: {r.load_end} "
        "(the machine is shared: a load above the core count slows every figure, ratios less so)",
        f"- Duration: {r.duration_s:.0f} s; env: robosuite {r.task} (no cameras)",
        *(f"- Reference {family} WAM: {source}" for family, source in r.sources.items()),
        "",
        "## Targets",
        "",
        "| target | measured | met |",
        "|---|---|---|",
        *(f"| {t.name} | {t.measured} | {_met(t.met)} |" for t in targets(r)),
        "",
        *_queries(r),
        *_latents("## 1b. Selection overhead on Cosmos- and LingBot-sized latents (CPU)", r.latents),
        *_floor(r),
        *_profile(r),
        *_batched(r),
        *_exploring(r),
        *_harness(r),
        *_memory(r),
        *_gpu(r),
        *_lingbot(r),
        *_notes(r),
    ]
    return "\n".join(parts) + "\n"


def _queries(r: BenchResults) -> list[str]:
    if not r.queries:
        return []
    lines = [
        "## 1a. Selection overhead on reference-WAM futures",
        "",
        "`selector.act` on branches the model really returned (sampling replaced by handing them "
        "back), against one batched query of the same model at the same N. Milliseconds (median), and "
        "the fraction of the query.",
        "",
        "| family | N | query ms | " + " | ".join(f"{s} ms (% of query)" for s in BENCHED_SELECTORS) + " |",
        "|---|---|---|" + "---|" * len(BENCHED_SELECTORS),
    ]
    for q in r.queries:
        cells = [f"{_num(q.scoring_s[s])} ({_pct(q.scoring_s[s] / q.batched_s)})" if s in q.scoring_s else "n/a"
                 for s in BENCHED_SELECTORS]
        lines.append(f"| {q.family} | {q.n} | {_num(q.batched_s)} | " + " | ".join(cells) + " |")
    return [*lines, ""]


def _profile(r: BenchResults) -> list[str]:
    p = r.profile
    if p is None:
        return []
    lines = [f"## 1c. Where the consensus time goes (torch.profiler, joint WAM, N = {p.n})", "",
             f"One `act` calls {p.top_level_ops:.0f} torch ops from Python and spends {p.torch_us:.1f} us inside "
             "torch (profiler overhead included); the costliest, per `act`:", "",
             "| op | calls | self us |", "|---|---|---|"]
    lines += [f"| `{c.name}` | {c.calls:.0f} | {c.self_us:.1f} |" for c in p.costliest]
    return [*lines, ""]


def _latents(title: str, rows: list) -> list[str]:
    if not rows:
        return []
    lines = [title, "",
             "`selector.act` on synthetic latents of the models' shapes per branch. Milliseconds (median).", "",
             "| latents | N | " + " | ".join(f"{s} ms" for s in BENCHED_SELECTORS) + " |",
             "|---|---|" + "---|" * len(BENCHED_SELECTORS)]
    table: dict[tuple[str, int], dict[str, float]] = {}
    for s in rows:
        table.setdefault((s.family, s.n), {})[s.selector] = s.seconds
    for (family, n), by in table.items():
        lines.append(f"| {family} | {n} | " + " | ".join(_num(by[s]) if s in by else "n/a" for s in BENCHED_SELECTORS) + " |")
    return [*lines, ""]


def floor_ratios(rows: list[ScoringTime]) -> dict[tuple[str, int, str], float]:
    """(family, N, score) -> the score's time over one memory pass of the same futures."""
    passes = {(s.family, s.n): s.seconds for s in rows if s.selector == MEMORY_PASS}
    return {(s.family, s.n, s.selector): s.seconds / passes[(s.family, s.n)]
            for s in rows if s.selector != MEMORY_PASS}


def _floor(r: BenchResults) -> list[str]:
    if not r.floor:
        return []
    names = [k for k in FLOOR_SCORES if k != MEMORY_PASS]
    ratios = floor_ratios(r.floor)
    passes = {(s.family, s.n): s.seconds for s in r.floor if s.selector == MEMORY_PASS}
    lines = ["## 1d. Future-space scores against one memory pass (CPU)", "",
             "Each score against `futures.sum()` over the same tensor, timed side by side: the score's time "
             "over the memory pass. Consensus computes `f_i - mean` directly; the medoid's pairwise distances "
             "come from one Gram matrix `F Fᵀ`, a single read of the futures but N² D multiply-adds, which "
             "a CPU core does more slowly than it streams the futures.", "",
             "| latents | N | memory pass ms | " + " | ".join(names) + " |", "|---|---|---|" + "---|" * len(names)]
    for family, n in passes:
        lines.append(f"| {family} | {n} | {_num(passes[(family, n)])} | "
                     + " | ".join(f"{ratios[(family, n, k)]:.1f}x" for k in names) + " |")
    return [*lines, ""]


def _batched(r: BenchResults) -> list[str]:
    if not r.queries:
        return []
    lines = ["## 2. Batched against sequential sampling (reference WAMs)", "",
             "One `sample(obs, N)` against N calls of `sample(obs, 1)`, interleaved. Milliseconds (median).", "",
             "| family | N | batched ms | sequential ms | speed-up |", "|---|---|---|---|---|"]
    lines += [f"| {q.family} | {q.n} | {_num(q.batched_s)} | {_num(q.sequential_s)} | {q.speedup:.1f}x |"
              for q in r.queries]
    return [*lines, ""]


def _exploring(r: BenchResults) -> list[str]:
    e = r.exploring
    if e is None:
        return []
    return ["## 3. Exploring: save/restore against executing a branch", "",
            f"The exploring selector over the joint reference WAM on {r.task}, N = {e.n}, h = {e.horizon}, "
            f"{e.decisions} decisions along one episode; per branch, one `get_state` / N plus (N + 1) / N "
            "`set_state` against executing its h actions.", "",
            "| N | h | save/restore ms per branch | execute ms per branch | ratio |", "|---|---|---|---|---|",
            f"| {e.n} | {e.horizon} | {_num(e.save_restore_s)} | {_num(e.execute_s)} | {_pct(e.ratio)} |", ""]


def _harness(r: BenchResults) -> list[str]:
    h = r.harness
    if h is None:
        return []
    return ["## 4. Harness overhead per control step", "",
            f"Trials of the consensus selector (N = 8) over the joint reference WAM on {r.task} through the "
            "harness's per-trial path (rollout, record, Parquet commit). Overhead = trial wall time less the "
            "env's calls (reset, step, success) and the policy's `sample`; per control step.", "",
            "| trials | steps | decisions | env step ms | overhead ms | of which scoring ms | of which commit ms "
            "| overhead / env step | without the commit |", "|---|---|---|---|---|---|---|---|---|",
            f"| {h.trials} | {h.steps} | {h.decisions} | {_num(h.env_step_s)} | {_num(h.overhead_s)} | "
            f"{_num(h.scoring_s)} | {_num(h.commit_s)} | {_pct(h.ratio)} | "
            f"{_pct((h.overhead_s - h.commit_s) / h.env_step_s)} |", "",
            f"Committing a trial takes {_ms(h.commit_per_trial_s)} (two Parquet files, each written, `fsync`ed "
            f"and renamed), {_pct(h.fsync_s / h.commit_s)} of it in `os.fsync` (timed inside the commit). It is "
            f"paid once per trial, so its share per step falls with episode length "
            f"({h.steps / h.trials:.0f} steps per trial here).", ""]


def _memory(r: BenchResults) -> list[str]:
    if not r.memory:
        return []
    ns = list(r.memory[0]["peak_mb"])
    lines = ["## 5. Peak memory against N (reference WAMs, CPU)", "",
             "Resident-set rise (MB) during one consensus decision (sample + score), each N in a fresh "
             "process forked before any sampling; the process itself holds "
             f"{r.memory[0]['baseline_rss_mb']:.0f} MB (Python, torch, the model).", "",
             "| family | weights MB | " + " | ".join(f"N={n}" for n in ns) + " |",
             "|---|---|" + "---|" * len(ns)]
    for m in r.memory:
        lines.append(f"| {m['family']} | {m['model_mb']:.2f} | "
                     + " | ".join(f"{m['peak_mb'][n]:.2f}" for n in ns) + " |")
    return [*lines, ""]


def _gpu(r: BenchResults) -> list[str]:
    if r.gpu is None:
        return ["## 6. GPU", "", "No GPU on this machine, so no GPU figures: the same command measures "
                "the selection overhead on the GPU when one is present.", ""]
    lines = _latents(f"## 6. GPU: selection overhead on {r.gpu}", r.gpu_latents)
    if r.gpu_peaks:
        lines += ["Peak CUDA memory of one consensus decision beyond the branches (MB):", "",
                  "| latents | N | peak MB |", "|---|---|---|"]
        lines += [f"| {family} | {n} | {b / 2**20:.2f} |" for (family, n), b in r.gpu_peaks.items()]
        lines.append("")
    return lines


def _lingbot(r: BenchResults) -> list[str]:
    head = ["## 7. LingBot-VA (tiny, random weights; optional)", ""]
    if r.lingbot is None:
        return [*head, f"Skipped: {r.lingbot_skipped}.", ""]
    by = {(row["n"], row["mode"]): row for row in r.lingbot}
    lines = [*head, "`python -m adapters.lingbot_va.bench` in `.venv-lerobot`: a two-chunk episode, N branches "
             "in one call against N calls; seconds (median), peak RSS rise and KV cache (MB).", "",
             "| N | next chunk s batched | sequential | speed-up | peak MB batched | sequential | KV cache MB |",
             "|---|---|---|---|---|---|---|"]
    for n in sorted({key[0] for key in by}):
        b, s = by[(n, "batched")], by[(n, "sequential")]
        lines.append(f"| {n} | {b['next_s']:.4f} | {s['next_s']:.4f} | {s['next_s'] / b['next_s']:.1f}x | "
                     f"{b['peak_mb']:.1f} | {s['peak_mb']:.1f} | {b['kv_cache_mb']:.2f} |")
    return [*lines, ""]


def _notes(r: BenchResults) -> list[str]:
    missed = {t.name for t in targets(r) if t.met is False}
    notes = ["## Notes", ""]
    if any(name.startswith("consensus scoring < 1 % of the query of the reference") for name in missed):
        notes.append(
            "- **Consensus < 1 % of the reference WAM's query: missed, and the target is wrong for these "
            "models.** The reference WAMs are small MLPs whose batched query takes about a millisecond on this "
            "CPU, so 1 % is about 10 us, while one `act` makes a few dozen eager torch calls (section 1c: "
            "finiteness check, mean, distance, exp, argmax, bookkeeping) of a few microseconds each. The "
            "time grows little with N for these futures: it is the fixed cost of eager torch, not scoring "
            "work. The target is meant for real WAMs, whose queries take seconds (LingBot-VA: ~8 s per chunk "
            "on an L40S as reported upstream, not measured here); section 1b gives the absolute time for "
            "their latent sizes. Each `act` is timed right after a query, as in a real decision; a tight "
            "loop of `act` alone runs faster, since no query evicts its code and data from the caches.")
    if "harness overhead per control step < 5 % of the env step" in missed:
        notes.append(
            "- **Harness overhead: missed because of the per-trial commit** (section 4 shows the share "
            "without it). The commit `fsync`s both files so that a finished trial survives an OS crash; "
            "a killed process loses nothing without them (a rename is atomic), and a file an OS crash left "
            "empty is detected and rerun on resume. Dropping the two `fsync`s would trade that durability "
            "for most of the commit's cost: a decision for the harness's owner, not taken here.")
    notes += [
        "- **Cosmos-Policy / LingBot-VA query time** needs their GPU weights, absent on this machine: no "
        "fraction is claimed for them beyond the absolute CPU scoring time.",
        "- **Exploring** counts the snapshot and restores the selector really performs around each branch; "
        "executing a branch is h robosuite steps, so the ratio shrinks with h.",
        "- **Harness overhead** includes the selector's scoring, encoding observations for the diagnostics, "
        "the pending-future bookkeeping and the Parquet commit of each trial (amortised over its steps); "
        "short trials pay more per step for their commit. The env's reset counts as env time.",
        "- **Memory**: the reference WAMs' per-decision peak is dominated by fixed buffers; the branches "
        "themselves are a few kB.",
    ]
    return notes


def _ms(seconds: float) -> str:
    ms = seconds * 1e3
    return f"{ms:.3f} ms" if ms < 10 else f"{ms:.1f} ms"


def _num(seconds: float) -> str:
    """Milliseconds without the unit (table cells)."""
    return _ms(seconds).removesuffix(" ms")


def _pct(fraction: float) -> str:
    return f"{100 * fraction:.2f} %"


def _met(met: bool | None) -> str:
    return "n/a" if met is None else ("yes" if met else "**no**")

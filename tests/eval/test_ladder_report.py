"""The ladder report: paired deltas per rung against vanilla, beside the rung's fidelity."""

import json

import pandas as pd
import pytest

from adapters.reference import DEFAULT_RUNGS
from eval.ladder_report import load_fidelity, markdown, of_rung, plot, rung_of, rung_rows


def episodes(rates: dict[str, list[bool]]) -> pd.DataFrame:
    rows = []
    for selector, outcomes in rates.items():
        n = 1 if selector == "vanilla" else 8
        for seed, ok in enumerate(outcomes):
            rows.append({"selector": selector, "n": n, "task": "Lift", "seed": seed, "trial": seed,
                         "config": json.dumps({"policy": {"options": {"rung": 1}}}),
                         "success": ok, "status": "success" if ok else "failure", "policy": "p", "env": "e"})
    return pd.DataFrame(rows)


def fidelity(r: float) -> dict:
    est = {"mean": r, "low": r - 0.1, "high": r + 0.1, "states": 50}
    return {"Lift": {"branch_consistency": est, "mean_closer": est, "rank_agreement": {"consensus": est}}}


def test_deltas_are_paired_on_seeds_against_vanilla(tmp_path):
    vanilla = [True] * 10 + [False] * 10
    consensus = [True] * 10 + [True] * 6 + [False] * 4  # 6 more successes, none lost
    eps = episodes({"vanilla": vanilla, "consensus": consensus})
    assert of_rung(eps, 0).empty and len(of_rung(eps, 1)) == 40
    row = rung_rows(1, of_rung(eps, 1), fidelity(0.4), n=8)
    c = row["selectors"]["consensus"]["all"]
    assert c["paired"] and c["n_pairs"] == 20
    assert c["delta"] == pytest.approx(0.3) and (c["only_candidate"], c["only_reference"]) == (6, 0)
    assert c["p_value"] == pytest.approx(2 * 0.5**6)
    assert row["vanilla"]["rate"] == 0.5 and row["branch_consistency"] == 0.4
    assert c == row["selectors"]["consensus"]["all"] and row["selectors"]["consensus"]["signal"] == 0.4
    text = markdown([row], 8)
    assert "| v1 | 0.400 |" in text and "| consensus | all | +0.400 | 0.800 | +0.300" in text
    plot([row], tmp_path / "f.png")
    assert (tmp_path / "f.png").stat().st_size > 1000


def test_a_rung_without_vanilla_is_an_error(tmp_path):
    with pytest.raises(ValueError, match="vanilla"):
        rung_rows(0, episodes({"consensus": [True, False]}), fidelity(0.1), n=8)
    (tmp_path / "Lift").mkdir()
    (tmp_path / "Lift" / "fidelity.json").write_text(json.dumps({"tasks": [{"task": "Lift", "model_space": {"x": 1}}]}))
    assert load_fidelity(tmp_path) == {"Lift": {"x": 1}}
    with pytest.raises(FileNotFoundError):
        load_fidelity(tmp_path / "Lift" / "none")


def test_a_run_naming_no_rung_ran_the_tasks_default_rung():
    explicit = json.dumps({"policy": {"name": "reference_joint", "options": {"rung": 0}}})
    default = json.dumps({"policy": {"name": "reference_joint", "options": {}}})
    eps = pd.DataFrame({"config": [explicit, default, default], "task": ["Lift", "Lift", "Door"]})
    assert rung_of(default, "Lift") == DEFAULT_RUNGS[("joint", "Lift")] == 1
    assert of_rung(eps, 0).index.tolist() == [0] and of_rung(eps, 1).index.tolist() == [1, 2]
    assert rung_of(json.dumps({"policy": {"name": "lingbot_va", "options": {}}}), "Lift") is None


def test_a_selector_the_check_did_not_rank_has_no_signal():
    eps = episodes({"vanilla": [True, False], "medoid": [True, True]})
    row = rung_rows(1, eps, fidelity(0.4), n=8, selectors=("medoid",))
    assert row["selectors"]["medoid"]["signal"] is None and row["selectors"]["medoid"]["all"]["delta"] == 0.5
    assert "| medoid | all |  | 1.000 |" in markdown([row], 8)

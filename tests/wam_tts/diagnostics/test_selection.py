"""Success rates, Wilson/Newcombe intervals, McNemar and baseline deltas."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from wam_tts.diagnostics import (
    baseline_mask,
    compare,
    mcnemar_exact,
    newcombe_interval,
    selector_table,
    success_rates,
    task_deltas,
    weighted_vs_wta,
    wilson_interval,
)


def wilson_closed_form(k, n, conf=0.95):
    z = stats.norm.ppf(0.5 + conf / 2)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return centre - half, centre + half


@pytest.mark.parametrize("k,n", [(8, 10), (0, 7), (50, 50), (13, 40), (1, 1), (0, 1)])
def test_wilson_interval_equals_the_closed_form(k, n):
    np.testing.assert_allclose(wilson_interval(k, n), wilson_closed_form(k, n), atol=1e-12)


def test_wilson_of_no_trials_is_nan():
    assert all(np.isnan(wilson_interval(0, 0)))


def test_newcombe_interval_reproduces_newcombe_1998_example():
    # Newcombe (1998), Stat. Med. 17:873, example (a): 56/70 - 48/80, method 10: 0.0524 to 0.3339
    low, high = newcombe_interval(56, 70, 48, 80)
    assert (round(low, 4), round(high, 4)) == (0.0524, 0.3339)


@pytest.mark.parametrize("k1,n1,k2,n2", [(1, 1, 3, 7), (5, 9, 0, 1), (2, 3, 2, 3)])
def test_newcombe_interval_equals_the_hybrid_score_formula(k1, n1, k2, n2):
    (l1, u1), (l2, u2) = wilson_closed_form(k1, n1), wilson_closed_form(k2, n2)
    p1, p2 = k1 / n1, k2 / n2
    expected = (p1 - p2 - np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2), p1 - p2 + np.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2))
    np.testing.assert_allclose(newcombe_interval(k1, n1, k2, n2), expected, atol=1e-12)
    assert all(np.isnan(newcombe_interval(k1, 0, k2, n2))) and all(np.isnan(newcombe_interval(k1, n1, k2, 0)))


def test_mcnemar_exact_is_the_binomial_tail_of_discordant_pairs():
    assert mcnemar_exact(6, 0) == pytest.approx(2 * 0.5**6)
    assert mcnemar_exact(3, 3) == pytest.approx(1.0)
    assert mcnemar_exact(0, 0) == 1.0
    assert mcnemar_exact(3, 1) == pytest.approx(0.625) and mcnemar_exact(1, 3) == pytest.approx(0.625)
    assert mcnemar_exact(0, 5) == pytest.approx(2 * 0.5**5)


def runs(rates: dict, tasks=("A", "B"), trials=20, seed=0, shared_seeds=True) -> pd.DataFrame:
    """One row per (selector, n, task, trial); success decided by one shared uniform per seed."""
    rng = np.random.default_rng(seed)
    u = {(t, i): rng.random() for t in tasks for i in range(trials)}
    rows = []
    for j, ((sel, n), rate) in enumerate(rates.items()):
        for t in tasks:
            for i in range(trials):
                s = i if shared_seeds else 1000 * j + i
                rows.append(
                    dict(
                        run_id=f"{sel}{n}",
                        policy="p",
                        env="e",
                        task=t,
                        selector=sel,
                        n=n,
                        trial=i,
                        seed=s,
                        success=bool(u[(t, i)] < rate),
                        status="",
                    )
                )
    return pd.DataFrame(rows)


def test_success_rates_count_per_selector_n_task_and_skip_errors():
    eps = runs({("vanilla", 1): 0.5, ("consensus", 8): 0.8})
    eps.loc[0, "status"] = "error"
    table = success_rates(eps).set_index(["selector", "n", "task"])
    rest = eps.iloc[1:]
    first = rest[(rest.selector == "vanilla") & (rest.task == "A")]
    row = table.loc[("vanilla", 1, "A")]
    assert (row["trials"], row["successes"]) == (19, first.success.sum())
    assert (row["ci_low"], row["ci_high"]) == pytest.approx(wilson_interval(row["successes"], 19))


def test_shared_seeds_give_a_paired_comparison_with_mcnemar():
    eps = runs({("vanilla", 1): 0.4, ("consensus", 8): 0.8}, trials=30)
    cand, base = eps[eps.selector == "consensus"], eps[eps.selector == "vanilla"]
    res = compare(cand, base, n_resamples=300)
    # a shared uniform per seed: every baseline success is a consensus success
    assert res.paired and res.n_pairs == 60 and res.only_reference == 0
    assert res.only_candidate == cand.success.sum() - base.success.sum()
    assert res.p_value == pytest.approx(mcnemar_exact(res.only_candidate, 0))
    assert res.delta == pytest.approx(res.rate - res.reference_rate)
    assert res.delta_low <= res.delta <= res.delta_high


def test_an_episode_without_partner_is_left_out_of_the_pairs():
    eps = runs({("vanilla", 1): 0.4, ("consensus", 8): 0.8}, trials=10)
    eps.loc[(eps.selector == "vanilla") & (eps.task == "A") & (eps.trial == 0), "status"] = "error"
    cand, base = eps[eps.selector == "consensus"], eps[eps.selector == "vanilla"]
    res = compare(cand, base, n_resamples=200)
    assert res.paired and res.n_pairs == 19 and (res.trials, res.reference_trials) == (20, 19)
    kept = cand[~((cand.task == "A") & (cand.trial == 0))]
    assert res.rate == pytest.approx(kept.success.mean())
    assert res.delta == pytest.approx(res.rate - res.reference_rate)


def test_distinct_seeds_give_an_unpaired_newcombe_comparison():
    eps = runs({("vanilla", 1): 0.4, ("consensus", 8): 0.8}, shared_seeds=False)
    cand, base = eps[eps.selector == "consensus"], eps[eps.selector == "vanilla"]
    res = compare(cand, base)
    assert not res.paired and np.isnan(res.p_value)
    k1, k2 = int(cand.success.sum()), int(base.success.sum())
    assert (res.delta_low, res.delta_high) == pytest.approx(newcombe_interval(k1, 40, k2, 40))


def test_task_deltas_and_selector_table_use_the_n1_baseline():
    eps = runs({("vanilla", 1): 0.3, ("consensus", 4): 0.5, ("consensus", 8): 0.7})
    deltas = task_deltas(eps)
    assert set(zip(deltas.selector, deltas.n, strict=True)) == {("consensus", 4), ("consensus", 8)}
    rates = success_rates(eps).set_index(["selector", "n", "task"])["rate"]
    for r in deltas.itertuples():
        assert r.delta == pytest.approx(rates[(r.selector, r.n, r.task)] - rates[("vanilla", 1, r.task)])
    table = selector_table(eps).set_index(["selector", "n"])
    assert np.isnan(table.loc[("vanilla", 1), "delta"])
    assert table.loc[("consensus", 8), "delta"] == pytest.approx(
        table.loc[("consensus", 8), "rate"] - table.loc[("vanilla", 1), "rate"]
    )
    assert table.loc[("consensus", 8), "n_tasks"] == 2


def test_without_vanilla_the_first_n1_selector_is_the_baseline():
    eps = runs({("consensus", 1): 0.3, ("consensus", 8): 0.7})
    deltas = task_deltas(eps)
    assert set(deltas.selector + deltas.n.astype(str)) == {"consensus8"}


def test_the_stored_baseline_run_id_names_the_baseline_over_the_selector_name():
    eps = runs({("vanilla", 1): 0.3, ("consensus", 1): 0.4, ("consensus", 8): 0.7})
    assert baseline_mask(eps)[1] == "vanilla at N = 1"  # logs without the column: by name
    stored = eps.assign(baseline_run_id="consensus1")
    mask, description = baseline_mask(stored)
    assert (mask == (stored.run_id == "consensus1")).all() and description == "consensus at N = 1"
    deltas = task_deltas(stored)
    assert set(zip(deltas.selector, deltas.n, strict=True)) == {("vanilla", 1), ("consensus", 8)}
    table = selector_table(stored).set_index(["selector", "n"])
    assert np.isnan(table.loc[("consensus", 1), "delta"]) and not np.isnan(table.loc[("vanilla", 1), "delta"])
    missing, description = baseline_mask(eps.assign(baseline_run_id="not-in-these-results"))
    assert not missing.any() and "no N = 1 baseline run" in description
    assert task_deltas(eps.assign(baseline_run_id="not-in-these-results")).empty


def test_weighted_vs_winner_takes_all_per_n():
    eps = runs({("consensus", 8): 0.7, ("weighted", 8): 0.4, ("weighted", 4): 0.4})
    table = weighted_vs_wta(eps)
    assert list(table.n) == [8]
    assert table.delta.iloc[0] < 0 and table.paired.iloc[0]


def test_a_single_pair_or_identical_outcomes_give_a_point_interval():
    one = runs({("vanilla", 1): 0.0, ("consensus", 8): 1.0}, tasks=("A",), trials=1)
    res = compare(one[one.selector == "consensus"], one[one.selector == "vanilla"])
    assert (res.n_pairs, res.rate, res.reference_rate, res.delta) == (1, 1.0, 0.0, 1.0)
    assert (res.delta_low, res.delta_high) == (1.0, 1.0) and res.only_candidate == 1
    same = runs({("vanilla", 1): 0.5, ("consensus", 8): 0.5}, trials=10)
    res = compare(same[same.selector == "consensus"], same[same.selector == "vanilla"])
    assert (res.delta, res.delta_low, res.delta_high, res.p_value) == (0.0, 0.0, 0.0, 1.0)


def test_comparisons_hold_plain_python_numbers():
    # numpy scalars print as np.float64(...) and do not round-trip through every serialiser
    for shared in (True, False):
        eps = runs({("vanilla", 1): 0.4, ("consensus", 8): 0.8}, trials=12, shared_seeds=shared)
        res = compare(eps[eps.selector == "consensus"], eps[eps.selector == "vanilla"], n_resamples=100)
        for name in ("rate", "reference_rate", "delta", "delta_low", "delta_high"):
            assert type(getattr(res, name)) is float, (shared, name, type(getattr(res, name)))
    assert all(type(x) is float for x in newcombe_interval(3, 7, 5, 9) + wilson_interval(3, 7))


def test_episodes_without_a_recorded_policy_name_are_still_counted():
    eps = runs({("vanilla", 1): 0.4, ("consensus", 8): 0.8}, trials=10).assign(policy=None)
    rates = success_rates(eps)
    assert len(rates) == 4 and rates["trials"].tolist() == [10, 10, 10, 10]

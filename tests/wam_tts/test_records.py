"""The one results schema: typed, documented columns; the committed docs table matches it."""

from __future__ import annotations

import math
import pathlib
from dataclasses import asdict

import pytest

from wam_tts.records import (
    DECISION,
    EPISODE,
    KEY,
    DecisionRecord,
    EpisodeKey,
    EpisodeRecord,
    column_names,
    columns,
    markdown_table,
    render_doc_tables,
)

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_every_column_has_a_type_and_a_one_line_doc():
    for record in (EpisodeKey, EpisodeRecord, DecisionRecord):
        for col in columns(record):
            assert col.doc and "\n" not in col.doc, col.name
    assert {c.name: c.type for c in columns(DecisionRecord)}["scores"] == list[float]
    assert {c.name: c.type for c in columns(EpisodeRecord)}["success"] is bool


def test_both_tables_start_with_the_episode_key():
    key = column_names(EpisodeKey)
    assert key == ("run_id", "policy", "env", "task", "selector", "n", "trial", "seed")
    assert column_names(EpisodeRecord)[: len(key)] == key
    assert column_names(DecisionRecord)[: len(key)] == key
    assert "baseline_run_id" in column_names(EpisodeRecord)


def test_names_spell_the_columns_and_refuse_unknown_ones():
    assert (EPISODE.episode_consistency, DECISION.predicted_latent_change, KEY.seed) == (
        "episode_consistency", "predicted_latent_change", "seed")
    with pytest.raises(AttributeError):
        _ = EPISODE.predicted_latent_change  # a steps column, not an episodes one


def test_a_record_missing_a_column_does_not_construct():
    key = dict(run_id="r", policy="p", env="e", task="t", selector="s", n=1, trial=0, seed=0)
    with pytest.raises(TypeError, match="env_s"):
        DecisionRecord(**key, decision=0, t=0, horizon_t=1, chosen=0, scores=[], values=[],
                       chosen_value=math.nan, distance=math.nan, consistency=math.nan, latent_change=0.0,
                       predicted_latent_change=0.0, sample_s=0.0, score_s=0.0)
    row = DecisionRecord(**key, decision=0, t=0, horizon_t=1, chosen=0, scores=[1.0], values=[],
                         chosen_value=math.nan, distance=math.nan, consistency=math.nan, latent_change=0.0,
                         predicted_latent_change=0.0, sample_s=0.0, score_s=0.0, env_s=0.0)
    assert list(asdict(row)) == list(column_names(DecisionRecord))


def test_markdown_table_lists_own_columns_and_the_key_in_one_row():
    lines = markdown_table(EpisodeRecord).splitlines()
    assert lines[2].startswith("| run_id, policy, env, task, selector, n, trial, seed |")
    assert len(lines) == 3 + len(column_names(EpisodeRecord)) - len(column_names(EpisodeKey))
    assert "| baseline_run_id | str |" in markdown_table(EpisodeRecord)


def test_committed_results_doc_matches_the_schema():
    text = (ROOT / "docs" / "results.md").read_text()
    for name in ("EpisodeKey", "EpisodeRecord", "DecisionRecord"):
        assert f"<!-- columns: {name} -->" in text
    assert render_doc_tables(text) == text, "run: python -m wam_tts.records docs/results.md"


def test_a_stale_doc_table_is_regenerated_and_an_unknown_record_named():
    stale = "x\n<!-- columns: DecisionRecord -->\n| old |\n<!-- end columns -->\ny\n"
    fresh = render_doc_tables(stale)
    assert "| old |" not in fresh and "| predicted_latent_change | float |" in fresh
    assert fresh.startswith("x\n") and fresh.endswith("<!-- end columns -->\ny\n")
    with pytest.raises(ValueError, match="Nope"):
        render_doc_tables("<!-- columns: Nope -->\n<!-- end columns -->")

"""The shared column checks: clear errors, errored trials dropped, the caller's frame untouched."""

import numpy as np
import pandas as pd
import pytest

from wam_tts.diagnostics._frames import as_float, finished_episodes, present, require_columns


def test_require_columns_names_what_is_missing_and_refuses_non_frames():
    frame = pd.DataFrame({"success": [True], "task": ["a"]})
    require_columns(frame, ["success", "task"], "episodes")
    with pytest.raises(ValueError, match=r"episodes table lacks column\(s\) \['trial', 'seed'\]"):
        require_columns(frame, ["success", "trial", "seed"], "episodes")
    with pytest.raises(TypeError, match="steps must be a pandas DataFrame, got dict"):
        require_columns({"success": [True]}, ["success"], "steps")


def test_finished_episodes_drop_errors_cast_success_and_leave_the_input_alone():
    episodes = pd.DataFrame({"status": ["success", "error", "failure"], "success": [1, 0, 0]})
    out = finished_episodes(episodes)
    assert out["success"].tolist() == [True, False] and out["success"].dtype == bool
    assert out.index.tolist() == [0, 2]
    out.loc[0, "success"] = False
    assert episodes["success"].tolist() == [1, 0, 0] and episodes["success"].dtype != bool
    no_status = pd.DataFrame({"success": [0, 1]})
    kept = finished_episodes(no_status)
    assert kept["success"].tolist() == [False, True]
    kept.loc[0, "success"] = True
    assert no_status["success"].tolist() == [0, 1] and no_status["success"].dtype == np.int64  # a copy


def test_present_and_as_float():
    frame = pd.DataFrame({"task": ["a"], "n": [1]})
    assert present(frame, ("policy", "task", "n")) == ["task", "n"]
    assert as_float(pd.Series([1, 2]), "x").dtype == np.float64
    with pytest.raises(ValueError, match="column 'x' must be numeric"):
        as_float(pd.Series(["a"]), "x")

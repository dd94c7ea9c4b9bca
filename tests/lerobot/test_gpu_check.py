"""``make gpu-check``'s CPU-checkable parts, on the released RoboTwin layout at tiny size."""

from __future__ import annotations

import pytest

pytest.importorskip(
    "lerobot.policies.lingbot_va", reason="needs LeRobot's LingBot-VA port (Python 3.12 venv: make install-lerobot)"
)

import torch  # noqa: E402

from adapters.lingbot_va import gpu_check  # noqa: E402

#: The released config's layout (3 cameras, T-shape, CFG, its action channels) at tiny width.
TINY_RELEASED = dict(num_layers=2, num_attention_heads=2, attention_head_dim=32, ffn_dim=128, text_dim=32,
                     freq_dim=32, height=64, width=64, frame_chunk_size=2, action_per_frame=4, attn_window=4,
                     dtype="float32", max_sequence_length=64, num_inference_steps=2, action_num_inference_steps=2)


def _tiny(frozen):
    return gpu_check.released_policy(frozen, "cpu", **TINY_RELEASED)


def test_the_check_compares_batched_with_sequential_and_runs_the_fallback(capsys):
    torch.set_num_threads(1)
    rows = gpu_check.run("cpu", [1, 3], _tiny, cosmos_device=None)
    assert [r["check"] for r in rows] == ["N=1 batched vs sequential", "N=3 batched vs sequential",
                                          "OOM fallback at N=3"]
    assert rows[0]["result"] == rows[1]["result"] == "max |diff| 0"
    assert rows[2]["result"] == "no fallback needed"
    gpu_check.print_table(rows, "tiny")
    out = capsys.readouterr().out
    assert "check" in out and "N=3 batched vs sequential" in out and "max |diff| 0" in out


def test_the_fallback_row_reports_what_was_drawn(monkeypatch, tmp_path):
    from adapters.lingbot_va import LingBotVAWAM
    from adapters.lingbot_va import adapter as adapter_module
    from adapters.lingbot_va.tiny import write_frozen_modules

    write_frozen_modules(tmp_path, text_dim=32)
    wam = LingBotVAWAM(_tiny(tmp_path))
    real = adapter_module.cache.relay_for_branches

    def relay(transformer, n, rows, *capacity):
        if n > 1:
            raise torch.OutOfMemoryError("CUDA out of memory (emulated)")
        return real(transformer, n, rows, *capacity)

    monkeypatch.setattr(adapter_module.cache, "relay_for_branches", relay)
    real_add = adapter_module.cache.BranchAssembler.add
    monkeypatch.setattr(adapter_module.cache.BranchAssembler, "add",
                        lambda self, t, size: _oom() if self.n > 2 else real_add(self, t, size))
    row = gpu_check.fallback_row(wam, 4)
    assert row["result"].endswith("drew N=2 of 4 in batches of 1")


def _oom():
    raise torch.OutOfMemoryError("CUDA out of memory (emulated)")


def test_without_cuda_it_stops_saying_so(monkeypatch, capsys):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert gpu_check.main([]) == 2
    assert "needs a CUDA GPU" in capsys.readouterr().err


def test_a_mode_that_runs_out_of_memory_is_reported_and_the_other_still_measured(monkeypatch, tmp_path):
    from adapters.lingbot_va import LingBotVAWAM
    from adapters.lingbot_va import adapter as adapter_module
    from adapters.lingbot_va.tiny import write_frozen_modules

    write_frozen_modules(tmp_path, text_dim=32)
    wam = LingBotVAWAM(_tiny(tmp_path))
    monkeypatch.setattr(adapter_module.cache, "stack_branches", lambda *a: _oom())  # sequential's N caches
    (row,) = gpu_check.compare_rows(wam, [2])
    assert row["result"] == "out of memory: sequential" and row["seconds"].endswith("/ OOM")
    assert row["KV GB"] != "-" and wam.batched

"""``WamTTSPolicy``: a LeRobot policy that draws N branches of a base world action model and selects one.

``lerobot-eval`` calls :meth:`WamTTSPolicy.select_action` once per env step, as it calls any
policy. At the first step of an episode and whenever the chosen chunk has run out, the
selector draws N branches through the base policy's adapter (:mod:`eval.lerobot_plugin.wams`),
scores them, chooses one and tells the adapter, which keeps the base policy's state on the
chosen branch; every other observation goes to the selector (``observe``), so the base
policy sees the frames the chosen chunk produced. Actions come back model-normalised, as
the bare policy's do: ``lerobot-eval`` applies the base policy's postprocessor
(:mod:`eval.lerobot_plugin.processor_wam_tts`).

One environment per batch: the base policies' streaming state (LingBot-VA's KV cache) holds
one episode, so a batch of several observations is refused (``--eval.batch_size=1``).
"""

from __future__ import annotations

import time
from collections import deque
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from eval.lerobot_plugin.configuration_wam_tts import WamTTSConfig
from eval.lerobot_plugin.recording import LeRobotRunRecorder
from eval.lerobot_plugin.wams import wrap_policy
from wam_tts import SELECTORS, Decision, derive_seed, make_selector
from wam_tts.selectors.base import option_problems

try:
    from lerobot.policies.pretrained import PreTrainedPolicy
except ImportError as e:  # pragma: no cover - configuration_wam_tts already says what to install
    raise ImportError(f"the wam_tts LeRobot policy needs LeRobot: {e}") from e


class WamTTSPolicy(PreTrainedPolicy):
    """Test-time selection over a LeRobot world action model, evaluated by ``lerobot-eval``."""

    config_class = WamTTSConfig
    name = "wam_tts"

    def __init__(self, config: WamTTSConfig, output_dir: str | Path | None = None, **kwargs: Any) -> None:
        super().__init__(config)
        if not config.base_path:
            raise ValueError("--policy.base_path is required: the LeRobot checkpoint of the policy to wrap")
        problems = option_problems(config.selector, config.selector_options)
        if problems:
            raise ValueError("--policy.selector_options: " + "; ".join(problems))
        if SELECTORS.get(config.selector).needs_simulator:
            raise ValueError(
                f"the {config.selector} selector executes branches in a restored simulator, and lerobot-eval gives "
                "the policy no simulator: use a selector that scores the policy's own predictions (consensus, ...)"
            )
        self.base = load_base_policy(config.base_path, config.device)
        self.wam = wrap_policy(self.base)
        self.selector = make_selector(config.selector, self.wam, n=config.n, seed=config.seed,
                                      **config.selector_options)
        self.recorder = LeRobotRunRecorder(_output_dir(output_dir), self.run_config())
        self._queue: deque[Tensor] = deque()
        self._episodes = 0  # episodes started
        self._started = False  # this episode's first observation seen
        self._t = 0
        self._returned_at: float | None = None

    def run_config(self) -> dict[str, Any]:
        """What identifies this run's results (the run_id and the N = 1 baseline derive from it)."""
        from lerobot import __version__ as lerobot_version
        from lerobot.configs import parser

        cfg = self.config
        return {
            "policy": {"name": f"lerobot:{self.base.config.type}", "base_path": str(cfg.base_path)},
            "selector": {"name": cfg.selector, **cfg.selector_options},
            "n": cfg.n,
            "seed": cfg.seed,
            "lerobot": {"version": lerobot_version, "seed": parser.parse_arg("seed") or "1000"},
        }

    # --- LeRobot's policy interface ------------------------------------------------

    def reset(self) -> None:
        """A new episode (``lerobot-eval`` calls it before every rollout); it starts at the next observation."""
        self._queue.clear()
        self._started = False

    @torch.no_grad()
    def select_action(self, batch: dict[str, Any], **kwargs: Any) -> Tensor:
        """``[1, A]``: the next action of the chosen chunk, deciding anew when it has run out."""
        check_single_env(batch)
        env_s = 0.0 if self._returned_at is None else time.perf_counter() - self._returned_at
        if not self._started:
            self._start_episode(batch)
        else:
            self._t += 1
            if self.selector.wants_observations:
                self.selector.observe(batch)
            self.recorder.step(self._t, batch, env_s)
        if not self._queue:
            self._queue.extend(self._decide(batch).actions)
        action = self._queue.popleft()[None]
        self.recorder.acted()
        self._returned_at = time.perf_counter()
        return action

    @torch.no_grad()
    def predict_action_chunk(self, batch: dict[str, Any], **kwargs: Any) -> Tensor:
        """``[1, H, A]``: a decision's chosen chunk. The whole chunk must then run, each observation
        passed back through :meth:`select_action`, as the base policy's own chunks must."""
        check_single_env(batch)
        return self._decide(batch).actions[None]

    def forward(self, batch: dict[str, Tensor]) -> tuple[Tensor, dict | None]:
        raise NotImplementedError("the wam_tts policy only evaluates: train its base policy instead")

    def get_optim_params(self) -> dict:
        raise NotImplementedError("the wam_tts policy only evaluates: train its base policy instead")

    # --- internals ----------------------------------------------------------------

    def _start_episode(self, batch: dict[str, Any]) -> None:
        seed = derive_seed(self.config.seed, "episode", self._episodes) % (2**31)
        self._episodes += 1
        self._started, self._t, self._returned_at = True, 0, None
        self.selector.reset(seed=seed)
        self.recorder.start_episode(self.selector, seed, batch)

    def _decide(self, batch: dict[str, Any]) -> Decision:
        decision = self.selector.act(batch)
        self.recorder.decision(self._t, batch, decision)
        return decision


def load_base_policy(path: str, device: str | None) -> Any:
    """The base LeRobot policy at ``path`` (its own config and weights), on ``device``."""
    from lerobot.configs.policies import PreTrainedConfig
    from lerobot.policies.factory import get_policy_class

    config = PreTrainedConfig.from_pretrained(path)
    if config.type == WamTTSPolicy.name:
        raise ValueError(f"--policy.base_path={path} is itself a wam_tts policy: point it at the policy to wrap")
    if device is not None:
        config.device = device
    policy = get_policy_class(config.type).from_pretrained(path, config=config)
    return policy.to(config.device).eval()


def check_single_env(batch: dict[str, Any]) -> None:
    """Refuse a batch of several environments, naming the fix."""
    sizes = {key: value.shape[0] for key, value in batch.items() if isinstance(value, Tensor) and value.ndim >= 2}
    many = {key: size for key, size in sizes.items() if size != 1}
    if many:
        raise ValueError(
            f"the wam_tts policy runs one environment at a time, got a batch of {max(many.values())} "
            f"({', '.join(f'{k}: {s}' for k, s in sorted(many.items()))}): the base policy's streaming state "
            "(LingBot-VA's KV cache, its observation buffer) holds one episode, and N branches per env would "
            "mix them. Run lerobot-eval with --eval.batch_size=1."
        )


def _output_dir(output_dir: str | Path | None) -> Path:
    """Where ``lerobot-eval`` writes its results: ``output_dir`` or the command line's ``--output_dir``."""
    from lerobot.configs import parser

    found = output_dir or parser.parse_arg("output_dir")
    if not found:
        raise ValueError(
            "the wam_tts policy records its decisions next to lerobot-eval's results and completes them from its "
            "eval_info.json, so it needs to know where they go: pass --output_dir=<dir> to lerobot-eval"
        )
    return Path(found)

"""RoboTwin 2.0 (SAPIEN) tasks, driven directly through RoboTwin's own task classes.

The protocol is that of RoboTwin's ``script/eval_policy.py`` and LingBot-VA's RoboTwin
client: Easy = ``task_config/demo_clean.yml``, Hard = ``demo_randomized.yml``; episode
``i`` runs on the ``i``-th seed from ``seed_stride * (1 + base_seed)`` on whose scene the
scripted expert (``play_once``) succeeds (others are skipped); the instruction is drawn
from RoboTwin's templates with the expert's episode info; the step budget is
``task_config/_eval_step_limit.yml``'s (``take_action`` calls). Actions are 16-D
end-effector poses *relative to the episode's initial pose*
``[left xyz, left quat, left gripper, right xyz, right quat, right gripper]``, composed
onto it as LingBot-VA's client does and executed with ``take_action(a, action_type='ee')``.

Why RoboTwin directly rather than LeRobot's ``RoboTwinEnv``: LeRobot's wrapper only
loads ``demo_clean`` (no Hard), does not run the expert check (so its episodes are not
upstream's), uses the task name as the instruction for most tasks, a fixed 1200-step
budget, resets itself inside ``step``, and needs Python >= 3.12 while RoboTwin's own
environment is Python 3.10. Both need RoboTwin installed anyway.

``reset(seed)`` takes the episode index (``seeds_by_trial``). RoboTwin has no API to
save and restore the simulator state, so this backend offers none (``supports_state``
is False): the exploring selector cannot run on it.

Observation: ``"head_camera_image"``, ``"left_camera_image"``, ``"right_camera_image"``
(uint8 ``[H, W, 3]``, upright), ``"state"`` float32 = ``joint_action.vector`` (14) then
``[left_endpose(7), left_gripper, right_endpose(7), right_gripper]`` (16),
``"instruction"`` (0-d str array).
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from eval.envs.base import EnvBackend, Obs
from eval.envs.registry import register_env
from wam_tts import ACTION_SPACES

ROBOTWIN_TASKS: tuple[str, ...] = (
    "adjust_bottle", "beat_block_hammer", "blocks_ranking_rgb", "blocks_ranking_size", "click_alarmclock",
    "click_bell", "dump_bin_bigbin", "grab_roller", "handover_block", "handover_mic", "hanging_mug", "lift_pot",
    "move_can_pot", "move_pillbottle_pad", "move_playingcard_away", "move_stapler_pad", "open_laptop",
    "open_microwave", "pick_diverse_bottles", "pick_dual_bottles", "place_a2b_left", "place_a2b_right",
    "place_bread_basket", "place_bread_skillet", "place_burger_fries", "place_can_basket", "place_cans_plasticbox",
    "place_container_plate", "place_dual_shoes", "place_empty_cup", "place_fan", "place_mouse_pad",
    "place_object_basket", "place_object_scale", "place_object_stand", "place_phone_stand", "place_shoe",
    "press_stapler", "put_bottles_dustbin", "put_object_cabinet", "rotate_qrcode", "scan_object", "shake_bottle",
    "shake_bottle_horizontally", "stack_blocks_three", "stack_blocks_two", "stack_bowls_three", "stack_bowls_two",
    "stamp_seal", "turn_switch",
)
#: Difficulty → RoboTwin task config (``task_config/<name>.yml``).
TASK_CONFIGS: dict[str, str] = {"easy": "demo_clean", "hard": "demo_randomized"}
ROBOTWIN_CAMERAS: tuple[str, ...] = ("head_camera", "left_camera", "right_camera")
EE_ACTION_DIM = 16
#: Both arms' end-effector poses (relative to the episode's initial pose) and grippers.
ACTION_SPACES.register("robotwin_ee")("xyz, quat, gripper, xyz, quat, gripper")
#: RoboTwin's eval_policy.py starts at 100000 * (1 + seed); LingBot-VA's client at 10000 * (1 + seed).
DEFAULT_SEED_STRIDE = 100_000
#: Step budget RoboTwin uses for a task missing from _eval_step_limit.yml.
DEFAULT_STEP_LIMIT = 1000
#: Episodes are numbered from 0; a larger "index" is a hashed seed, which this protocol cannot use.
MAX_EPISODE_INDEX = 100_000
NO_STATE_API = (
    "RoboTwin 2.0 has no API to save and restore its SAPIEN simulator state (its tasks are rebuilt "
    "with setup_demo), so branches cannot be executed from a saved state there"
)

#: The last RoboTwin commit with the layout this backend and the plug-in use (``script/``,
#: ``task_config/``, ``policy/`` + ``script/eval_policy.py``); later commits renamed and replaced them.
ROBOTWIN_COMMIT = "c3ddfa8"
ROBOTWIN_INSTALL_HINT = (
    "RoboTwin 2.0 is not on PyPI. Install it into the environment that runs the policy (Python 3.10 "
    "upstream; 3.12 with its scipy/open3d pins relaxed for LingBot-VA through LeRobot): "
    f"`git clone https://github.com/RoboTwin-Platform/RoboTwin && cd RoboTwin && git checkout {ROBOTWIN_COMMIT} "
    "&& bash script/_install.sh "
    "&& bash script/_download_assets.sh`, then `pip install -e /path/to/wam-tts` there and point "
    "ROBOTWIN_ROOT (or root=) at the checkout. See eval/envs/robotwin.md."
)


@register_env("robotwin", tasks=ROBOTWIN_TASKS)
class RoboTwinEnv(EnvBackend):
    """One RoboTwin 2.0 task at Easy (``demo_clean``) or Hard (``demo_randomized``).

    Args:
        task: one of :data:`ROBOTWIN_TASKS`.
        root: the RoboTwin checkout (default ``$ROBOTWIN_ROOT``).
        difficulty: ``"easy"`` or ``"hard"`` (or ``task_config=`` a config name).
        base_seed: upstream's ``--seed`` (episodes start at ``seed_stride * (1 + base_seed)``).
        seed_stride: 100000 as RoboTwin's eval script, 10000 as LingBot-VA's client.
        instruction_type: ``"unseen"`` (RoboTwin's default) or ``"seen"`` (LingBot-VA's client).
        seed_cache: a JSON file remembering which seeds passed the expert check (shared by
            shards and reruns; the check costs a scripted episode per candidate seed).
        max_steps: overrides the task's step limit.
    """

    name = "robotwin"
    supports_state = False
    seeds_by_trial = True
    state_unsupported_reason = NO_STATE_API
    action_dim = EE_ACTION_DIM

    def __init__(
        self,
        task: str,
        *,
        root: str | None = None,
        difficulty: str = "easy",
        task_config: str | None = None,
        base_seed: int = 0,
        seed_stride: int = DEFAULT_SEED_STRIDE,
        instruction_type: str = "unseen",
        seed_cache: str | None = None,
        max_steps: int | None = None,
    ) -> None:
        if task not in ROBOTWIN_TASKS:
            raise ValueError(f"unknown RoboTwin task {task!r}; valid tasks: {', '.join(ROBOTWIN_TASKS)}")
        if task_config is None:
            if difficulty not in TASK_CONFIGS:
                raise ValueError(f"difficulty must be one of {sorted(TASK_CONFIGS)}, got {difficulty!r}")
            task_config = TASK_CONFIGS[difficulty]
        if instruction_type not in ("seen", "unseen"):
            raise ValueError(f"instruction_type must be 'seen' or 'unseen', got {instruction_type!r}")
        self.task = task
        self.task_config = task_config
        self.base_seed = int(base_seed)
        self.seed_stride = int(seed_stride)
        self.instruction_type = instruction_type
        self.root = _robotwin_root(root)
        self.seed_cache = Path(seed_cache) if seed_cache else None
        with self._inside():
            self._setup_args = self._load_setup_args()
            self._task_env = _task_class(task)()
            self._describe = importlib.import_module("description.utils.generate_episode_instructions")
            self._unstable = importlib.import_module("envs.utils.create_actor").UnStableError
        self.max_steps = int(max_steps or self._step_limit())
        self._valid: list[tuple[int, dict[str, Any]]] = self._read_seed_cache()
        self._next_candidate = self._valid[-1][0] + 1 if self._valid else self.first_seed
        self._episodes_done = 0
        self._open = False
        self.initial_pose: np.ndarray | None = None
        self.instruction = ""

    @property
    def first_seed(self) -> int:
        return self.seed_stride * (1 + self.base_seed)

    # -- EnvBackend ---------------------------------------------------------------------------
    def reset(self, seed: int) -> Obs:
        """Episode ``seed`` (an index): its expert-checked scene, instruction and initial pose."""
        if not isinstance(seed, (int, np.integer)) or not 0 <= seed < MAX_EPISODE_INDEX:
            raise ValueError(
                f"robotwin: reset takes the episode index 0..{MAX_EPISODE_INDEX - 1} (RoboTwin numbers its "
                f"expert-checked seeds), got {seed!r}; eval.run passes trial indices to this backend"
            )
        episode = int(seed)
        sim_seed, info = self.episode_seed(episode)
        self._close_episode()
        with self._inside():
            self._task_env.setup_demo(now_ep_num=episode, seed=sim_seed, is_test=True, **self._setup_args)
            self._open = True
            descriptions = self._describe.generate_episode_descriptions(self.task, [info], 100)
            self.instruction = str(np.random.choice(descriptions[0][self.instruction_type]))
            self._task_env.set_instruction(instruction=self.instruction)
            raw = self._task_env.get_obs()
        self.initial_pose = endpose_vector(raw)
        self.episode = episode
        return robotwin_obs(raw, self.instruction)

    def step(self, action: np.ndarray) -> Obs:
        relative = self.check_action(action)
        if self.initial_pose is None:
            raise RuntimeError("robotwin: call reset(episode) first")
        with self._inside():
            self._task_env.take_action(absolute_ee_action(relative, self.initial_pose), action_type="ee")
        return self.observe()

    def success(self) -> bool:
        return bool(self._task_env.eval_success)

    @property
    def timestep(self) -> int:
        """``take_action`` calls since the last reset (RoboTwin's own count)."""
        return int(self._task_env.take_action_cnt)

    def observe(self) -> Obs:
        with self._inside():
            raw = self._task_env.get_obs()
        return robotwin_obs(raw, self.instruction)

    def close(self) -> None:
        self._close_episode()

    # -- the expert-checked seeds -----------------------------------------------------------------
    def episode_seed(self, episode: int) -> tuple[int, dict[str, Any]]:
        """The simulator seed of episode ``episode`` and its expert's episode info (for the
        instruction): candidates are tried in order from :attr:`first_seed`, as upstream."""
        while len(self._valid) <= episode:
            seed = self._next_candidate
            self._next_candidate += 1
            info = self._expert_check(seed)
            if info is not None:
                self._valid.append((seed, info))
                self._write_seed_cache()
        return self._valid[episode]

    def _expert_check(self, seed: int) -> dict[str, Any] | None:
        env = self._task_env
        with self._inside():
            try:
                env.setup_demo(now_ep_num=len(self._valid), seed=seed, is_test=True, **self._setup_args)
                episode_info = env.play_once()
                ok = bool(env.plan_success and env.check_success())
            except self._unstable:
                ok, episode_info = False, None
            except Exception:  # noqa: BLE001 - upstream skips a seed whose expert raises
                ok, episode_info = False, None
            finally:
                env.close_env()
        return dict(episode_info["info"]) if ok else None

    def _cache_key(self) -> str:
        return f"{self.task}/{self.task_config}/{self.seed_stride}/{self.base_seed}"

    def _read_seed_cache(self) -> list[tuple[int, dict[str, Any]]]:
        if self.seed_cache is None or not self.seed_cache.exists():
            return []
        entries = json.loads(self.seed_cache.read_text()).get(self._cache_key(), [])
        return [(int(e["seed"]), dict(e["info"])) for e in entries]

    def _write_seed_cache(self) -> None:
        if self.seed_cache is None:
            return
        data = json.loads(self.seed_cache.read_text()) if self.seed_cache.exists() else {}
        known = data.get(self._cache_key(), [])
        if len(known) < len(self._valid):
            data[self._cache_key()] = [{"seed": s, "info": i} for s, i in self._valid]
            tmp = self.seed_cache.with_suffix(f".tmp{os.getpid()}")
            tmp.write_text(json.dumps(data, indent=1, sort_keys=True))
            tmp.replace(self.seed_cache)

    # -- internals ----------------------------------------------------------------------------------
    def _close_episode(self) -> None:
        if not self._open:
            return
        self._episodes_done += 1
        clear = self._episodes_done % int(self._setup_args.get("clear_cache_freq", 1) or 1) == 0
        with self._inside():
            self._task_env.close_env(clear_cache=clear)
        self._open = False

    @contextlib.contextmanager
    def _inside(self) -> Iterator[None]:
        """Run RoboTwin code from its checkout (it opens files by relative paths), with
        autograd on (its CuRobo planner calls backward())."""
        import torch

        before = os.getcwd()
        os.chdir(self.root)
        try:
            with torch.enable_grad():
                yield
        finally:
            os.chdir(before)

    def _load_setup_args(self) -> dict[str, Any]:
        """The keyword arguments RoboTwin's eval script gives ``setup_demo``."""
        import yaml

        configs = Path(importlib.import_module("envs").CONFIGS_PATH)
        path = configs / f"{self.task_config}.yml"
        if not path.is_file():
            raise FileNotFoundError(f"RoboTwin task config {path} not found (task_config={self.task_config!r})")
        args = yaml.safe_load(path.read_text())
        embodiments = yaml.safe_load((configs / "_embodiment_config.yml").read_text())
        cameras = yaml.safe_load((configs / "_camera_config.yml").read_text())
        embodiment = args["embodiment"]
        files = [embodiments[name]["file_path"] for name in embodiment[:2]]
        if len(embodiment) == 1:
            args.update(left_robot_file=files[0], right_robot_file=files[0], dual_arm_embodied=True)
        elif len(embodiment) == 3:
            args.update(left_robot_file=files[0], right_robot_file=files[1], embodiment_dis=embodiment[2],
                        dual_arm_embodied=False)
        else:
            raise ValueError(f"{path}: embodiment must list 1 or 3 items, got {embodiment}")
        for side in ("left", "right"):
            robot_file = Path(args[f"{side}_robot_file"]) / "config.yml"
            args[f"{side}_embodiment_config"] = yaml.safe_load(robot_file.read_text())
        head = cameras[args["camera"]["head_camera_type"]]
        args.update(head_camera_h=head["h"], head_camera_w=head["w"], task_name=self.task,
                    task_config=self.task_config, ckpt_setting="wam-tts", policy_name="wam-tts",
                    eval_mode=True, render_freq=0)
        return args

    def _step_limit(self) -> int:
        import yaml

        with self._inside():
            configs = Path(importlib.import_module("envs").CONFIGS_PATH)
            limits = yaml.safe_load((configs / "_eval_step_limit.yml").read_text()) or {}
        return int(limits.get(self.task, DEFAULT_STEP_LIMIT))


def absolute_ee_action(relative: np.ndarray, initial: np.ndarray) -> np.ndarray:
    """A 16-D pose relative to the episode's initial pose, made absolute as LingBot-VA's
    RoboTwin client does: per arm, translation added, rotation ``initial * relative``
    (scipy quaternions), gripper as predicted; both quaternions renormalised."""
    from scipy.spatial.transform import Rotation

    relative = np.asarray(relative, dtype=np.float64)
    initial = np.asarray(initial, dtype=np.float64)
    if relative.shape != (EE_ACTION_DIM,) or initial.shape != (EE_ACTION_DIM,):
        raise ValueError(f"poses must be 16-D, got {relative.shape} and {initial.shape}")
    arms = []
    for arm in (slice(0, 8), slice(8, 16)):
        new, init = relative[arm], initial[arm]
        rotation = (Rotation.from_quat(init[3:7][None]) * Rotation.from_quat(new[3:7][None])).as_quat().reshape(-1)
        arms.append(np.concatenate([new[:3] + init[:3], rotation / np.linalg.norm(rotation), new[7:8]]))
    return np.concatenate(arms)


def endpose_vector(raw: dict[str, Any]) -> np.ndarray:
    """``[left_endpose(7), left_gripper, right_endpose(7), right_gripper]`` of a RoboTwin observation."""
    ee = raw["endpose"]
    pose = list(ee["left_endpose"]) + [ee["left_gripper"]] + list(ee["right_endpose"]) + [ee["right_gripper"]]
    return np.asarray(pose, dtype=np.float64)


def robotwin_obs(raw: dict[str, Any], instruction: str) -> Obs:
    """Our observation of a RoboTwin ``get_obs()`` dict (see the module docstring)."""
    obs: Obs = {}
    for camera in ROBOTWIN_CAMERAS:
        image = np.asarray(raw["observation"][camera]["rgb"])
        if image.dtype != np.uint8:
            image = np.clip(image * (255.0 if image.max() <= 1.0 else 1.0), 0, 255).astype(np.uint8)
        obs[f"{camera}_image"] = np.ascontiguousarray(image[..., :3])
    joints = np.asarray(raw["joint_action"]["vector"], dtype=np.float64).ravel()
    obs["state"] = np.concatenate([joints, endpose_vector(raw)]).astype(np.float32)
    obs["instruction"] = np.array(instruction)
    return obs


def _robotwin_root(root: str | None) -> Path:
    path = root or os.environ.get("ROBOTWIN_ROOT")
    if not path:
        raise ImportError(f"the robotwin backend needs a RoboTwin checkout: set ROBOTWIN_ROOT or pass root=. {ROBOTWIN_INSTALL_HINT}")
    path = Path(path).expanduser().resolve()
    if not (path / "task_config").is_dir() and ((path / "scripts").is_dir() or (path / "env_cfg").is_dir()):
        raise ImportError(
            f"{path} has the layout of RoboTwin after {ROBOTWIN_COMMIT} (scripts/, env_cfg/task_config/, no "
            "policy/ folders or script/eval_policy.py), which this backend and the plug-in do not read: "
            f"check out the last commit with the classic layout, `git -C {path} checkout {ROBOTWIN_COMMIT}`"
        )
    if not (path / "envs" / "_base_task.py").is_file():
        raise ImportError(f"{path} is not a RoboTwin 2.0 checkout (no envs/_base_task.py). {ROBOTWIN_INSTALL_HINT}")
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))
    return path


def _task_class(task: str) -> type:
    try:
        module = importlib.import_module(f"envs.{task}")
    except ModuleNotFoundError as err:
        raise ImportError(f"cannot import RoboTwin task envs.{task} ({err}). {ROBOTWIN_INSTALL_HINT}") from err
    return getattr(module, task)

"""Selectors: wrap a world action model, sample N branches, execute the best one (or a blend).

One module per selector; every module of this package is imported here, so a new
selector is one new file that subclasses :class:`Selector` and is decorated with
:func:`register_selector` (plus its config ``conf/selector/<name>.yaml``).
"""

import importlib
import pkgutil

from wam_tts.selectors.base import (
    COMMON_OPTIONS,
    SELECTORS,
    Decision,
    Selector,
    check_options,
    make_selector,
    option_problems,
    register_selector,
)

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")

from wam_tts.fallback import MemoryFallback  # noqa: E402
from wam_tts.selectors.consensus import ConsensusSelector  # noqa: E402
from wam_tts.selectors.exploring import ExploringSelector  # noqa: E402
from wam_tts.selectors.mean import MeanSelector  # noqa: E402
from wam_tts.selectors.value import ValueSelector  # noqa: E402
from wam_tts.selectors.vanilla import VanillaSelector  # noqa: E402
from wam_tts.selectors.weighted import WeightedSelector  # noqa: E402

__all__ = [
    "COMMON_OPTIONS",
    "SELECTORS",
    "ConsensusSelector",
    "Decision",
    "ExploringSelector",
    "MeanSelector",
    "MemoryFallback",
    "Selector",
    "ValueSelector",
    "VanillaSelector",
    "WeightedSelector",
    "make_selector",
    "register_selector",
    "check_options",
    "option_problems",
]

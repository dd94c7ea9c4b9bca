"""Training and evaluating the reference WAMs in a simulator (robosuite).

The pure model code lives in :mod:`adapters.reference` (it imports only wam_tts, torch
and numpy); everything that needs an env backend or a scripted expert is here::

    python -m eval.reference_training.train --family joint --task Lift
    python -m eval.reference_training.evaluate --family joint --task Lift --trials 50
"""

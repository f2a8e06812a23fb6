"""Experiments with the model: parameters with bounds (:mod:`.parameters`), designs
(:mod:`.designs`), executors shared by sweeps and calibration (:mod:`.executors`),
and the experiments themselves: :mod:`.sweep`, :mod:`.calibrate`, :mod:`.compare`,
:mod:`.analyze`."""

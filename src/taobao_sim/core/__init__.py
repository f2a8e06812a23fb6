"""The model itself, with no file or screen in sight: the parameter table, the
household state and the recorded series (each declared once), the validated
scenario, the world built from it, counter-based random numbers, the compiled
rules, and the type of a run's result. Imports nothing else of the package."""

from . import jit  # noqa: F401  (sets numba's cache folder before anything compiles)

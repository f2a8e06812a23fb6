"""Figures: runs, calibrations, sweeps and comparisons. Each function takes a
result (arrays and labels) and draws it; nothing here runs the model."""

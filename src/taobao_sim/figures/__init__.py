"""Figures: runs, calibrations, sweeps and comparisons. Each function takes a
result (arrays and labels) and draws it; nothing here runs the model."""

#: File formats figures are written in: png for screens and reports, svg and pdf
#: (vector) for papers. The first is the default.
FORMATS = ("png", "svg", "pdf")

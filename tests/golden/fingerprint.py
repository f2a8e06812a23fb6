"""Fingerprints of a run's outputs: one SHA-256 per output column, plus headline figures.

A fingerprint pins every number a run writes (the time series and the household
panel, column by column) so that a change meant to move code and not behaviour can
be checked to the bit, and a change of behaviour shows which columns moved and by
how much in the headline figures.
"""

from __future__ import annotations

import hashlib

import numpy as np


def column_hashes(table) -> dict[str, str]:
    """SHA-256 (first 16 hex digits) of each column's values, by column name."""
    out = {}
    for name in sorted(table.column_names):
        col = table.column(name).to_numpy(zero_copy_only=False)
        if col.dtype.kind in "OUS":
            data = "\x1f".join(map(str, col)).encode()
        else:
            data = np.ascontiguousarray(col.astype(np.float64)).tobytes()
        out[name] = hashlib.sha256(data).hexdigest()[:16]
    return out


def headline(table) -> dict[str, float]:
    """A few sums a person can compare by eye when a fingerprint changes."""
    cols = [c for c in ("engaged", "shops", "sales_yuan", "poor", "migrants", "returns",
                        "employed", "income_yuan") if c in table.column_names]
    return {c: float(np.nansum(table.column(c).to_numpy(zero_copy_only=False)))
            for c in cols}

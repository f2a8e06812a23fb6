"""Names that become folder names (a scenario's, a sweep's, a calibration's).

Such a name is joined under ``--out``; restricting it to one safe path
component means no name can write outside that folder, whatever the platform.
"""

from __future__ import annotations

#: Longest allowed name, in characters (well under every file system's limit).
MAX_NAME = 100

RULE = (f"1 to {MAX_NAME} letters, digits, '_', '-' or '.', starting with a letter or "
        "a digit")


def name_problem(value: str) -> str | None:
    """What is wrong with ``value`` as a name that becomes a folder, or None.

    Letters include those of any script ("丁楼" is fine): the rule is about path
    safety, not about ASCII.
    """
    if not value:
        return "is empty; expected " + RULE
    if len(value) > MAX_NAME:
        return f"has {len(value)} characters; expected {RULE}"
    if not value[0].isalnum():
        return f"is {value!r}; expected {RULE}"
    bad = next((c for c in value if not (c.isalnum() or c in "_-.")), None)
    if bad is not None:
        return f"is {value!r}, which contains {bad!r}; expected {RULE}"
    return None


def name_from_stem(stem: str) -> str:
    """A safe name made from a file's stem, for files that do not set ``name``:
    unsafe characters become '_' (``"my variant"`` -> ``"my_variant"``)."""
    cleaned = "".join(c if c.isalnum() or c in "_-." else "_" for c in stem)[:MAX_NAME]
    return cleaned if cleaned[:1].isalnum() else ("x" + cleaned)[:MAX_NAME]

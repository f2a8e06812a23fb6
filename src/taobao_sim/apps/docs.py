"""Regenerate the parts of the documents that are made from the code
(``python -m taobao_sim.apps.docs``, run by ``make docs``): docs/SCENARIO.md, and in
docs/ODD.md the household state table and the parameter tables of each section."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from ..core import params, state

STATE_START = "<!-- state table: generated from src/taobao_sim/core/state.py -->"
STATE_END = "<!-- end of state table -->"
# A start marker, any lines that are not markers (the old table, or none), the end marker.
PARAMS = re.compile(r"(<!-- parameters: (\w+) -->\n)((?:(?!<!-- ).*\n)*?)"
                    r"(<!-- end of parameters -->)")


def refresh_odd(text: str) -> str:
    """docs/ODD.md with its generated tables made from the current code."""
    start, end = text.index(STATE_START), text.index(STATE_END)
    text = text[:start] + STATE_START + "\n" + state.markdown_table() + "\n" + text[end:]
    return PARAMS.sub(
        lambda m: m.group(1) + params.section_table(m.group(2)) + "\n" + m.group(4), text)


def main(root: str = ".") -> int:
    docs = Path(root) / "docs"
    (docs / "SCENARIO.md").write_text(params.reference_markdown() + "\n", encoding="utf-8")
    odd = docs / "ODD.md"
    odd.write_text(refresh_odd(odd.read_text(encoding="utf-8")), encoding="utf-8")
    print(f"wrote {docs / 'SCENARIO.md'} and refreshed {odd}")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))

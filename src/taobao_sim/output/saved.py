"""Reading a run folder back: :func:`load_run`.

A run folder (``taobao-sim run``, :func:`~taobao_sim.output.rundir.write_run`)
holds Parquet tables, ``summary.json`` and ``manifest.json``; the manifest keeps
every resolved setting, so the scenario itself comes back too, even if its files
have changed or moved since.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from ..core.errors import UsageError
from ..core.scenario import Scenario, build_scenario
from ..io.files import file_problem, path_problem


@dataclass
class SavedRun:
    """A run read back from its folder.

    Attributes:
        folder: the run folder.
        manifest: ``manifest.json`` (what produced the run: command, versions,
            seeds, the scenario's files and resolved settings).
        summary: ``summary.json`` (the target or headline table).
        tables: every Parquet table of the folder by name (``timeseries``,
            ``villages``, ``households``, ``trace``, ``counties``,
            ``counterfactual_timeseries``, ``posterior_draws``...), read when first
            asked for.
    """

    folder: Path
    manifest: dict[str, Any]
    summary: dict[str, Any]
    tables: dict[str, Path] = field(default_factory=dict)
    _loaded: dict[str, pa.Table] = field(default_factory=dict, repr=False)

    def __getitem__(self, name: str) -> pa.Table:
        """The table ``name`` (a pyarrow Table; ``.to_pandas()`` for a DataFrame)."""
        if name not in self.tables:
            raise KeyError(f"{self.folder} has no table {name!r}; it has "
                           + ", ".join(sorted(self.tables)))
        if name not in self._loaded:
            self._loaded[name] = pq.read_table(self.tables[name])
        return self._loaded[name]

    def __contains__(self, name: object) -> bool:
        return name in self.tables

    @property
    def timeseries(self) -> pa.Table:
        """One row per replicate x month x village (docs: README, "What a run folder
        holds")."""
        return self["timeseries"]

    @property
    def scenario(self) -> Scenario:
        """The scenario the run used, rebuilt from the manifest's resolved settings
        (its digest checked against the recorded one)."""
        return scenario_from_manifest(self.manifest, str(self.folder / "manifest.json"))

    @property
    def seed(self) -> int:
        """The run's root seed."""
        return int(self.manifest["root_seed"])


def load_run(folder: str | Path) -> SavedRun:
    """Read the run folder ``folder``: its manifest, summary and tables.

    Raises:
        UsageError: if ``folder`` is not a complete run folder.
    """
    folder = Path(folder)
    problem = path_problem(folder)
    if problem or not folder.is_dir():
        raise UsageError(f"{folder}: {problem or 'is not a folder'}; expected a run folder "
                         "(results/<scenario>/<run-id>/)")
    documents = {}
    for name in ("manifest.json", "summary.json"):
        path = folder / name
        problem = file_problem(path, "a JSON file")
        if problem:
            raise UsageError(f"{path}: {problem}; expected the {name} of a complete run "
                             "folder")
        try:
            documents[name] = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise UsageError(f"{path}: is not valid JSON; the run folder is damaged") from None
    tables = {p.stem: p for p in sorted(folder.glob("*.parquet"))}
    return SavedRun(folder, documents["manifest.json"], documents["summary.json"], tables)


def scenario_from_manifest(manifest: dict[str, Any], where: str) -> Scenario:
    """A scenario rebuilt from a manifest's ``scenario.resolved`` settings."""
    try:
        recorded = manifest["scenario"]
        resolved = recorded["resolved"]
        merged: dict[str, Any] = {"name": resolved["name"], "start": resolved["start"],
                                  "end": resolved["end"], "series": resolved["series"]}
        for dotted, value in resolved["values"].items():
            if "." in dotted:
                section, key = dotted.split(".", 1)
                merged.setdefault(section, {})[key] = value
            elif dotted not in ("start", "end", "name"):
                merged[dotted] = value
        if isinstance(resolved["villages"], list):
            merged["villages"] = resolved["villages"]
        scenario = build_scenario(recorded["path"], merged, lambda key: None,
                                  tuple((f["path"], f["text"]) for f in recorded["files"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise UsageError(f"{where}: cannot rebuild the scenario from it ({exc!r})") from None
    if scenario.digest() != recorded.get("digest_sha256"):
        raise UsageError(f"{where}: the scenario rebuilt from it does not match its recorded "
                         "digest")
    return scenario

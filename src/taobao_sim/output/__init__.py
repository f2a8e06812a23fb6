"""What a run yields: its series by name (:mod:`.metrics`), scalar outputs
(:mod:`.scalars`), tidy tables (:mod:`.tables`), the targets and the real figures
(:mod:`.targets`), run folders with atomic writes (:mod:`.rundir`) and provenance
(:mod:`.provenance`)."""

"""Reading files into core types: scenario files (with their ``extends`` chains)
and the spec files of sweeps and calibrations, each error naming the file, the
key and what was expected; and writing scenario values back as TOML."""

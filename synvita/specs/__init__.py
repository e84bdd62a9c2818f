"""Experiment specs: TOML files validated against the typed sections of `synvita.config`.

A spec is one TOML file: top-level keys (`name`, `description`, `seeds`, `sweep`) and one table per section of
`synvita.config.SECTIONS`. The allowed keys, their types and their defaults come from the section dataclasses, so a
field added there is accepted here (and documented in experiments/README.md) without touching this package.

`load` finds and reads experiments into an `ExperimentSpec`, `validate` checks values and registered names,
`overrides` applies `--set` changes, `docs` generates the key reference. Planning an experiment into runs is a layer
up, in `synvita.runs.plan`.
"""

from synvita.specs.docs import field_docs, keys_reference, readme_with_reference, write_readme
from synvita.specs.load import (
    DEFAULT_EXPERIMENT,
    EXPERIMENTS_ENV,
    ExperimentSpec,
    experiment_dirs,
    experiment_names,
    find_experiment,
    load_spec,
    spec_from_dict,
)
from synvita.specs.validate import TOP_LEVEL_KEYS, load_component_registries

__all__ = [
    "DEFAULT_EXPERIMENT",
    "EXPERIMENTS_ENV",
    "TOP_LEVEL_KEYS",
    "ExperimentSpec",
    "experiment_dirs",
    "experiment_names",
    "field_docs",
    "find_experiment",
    "keys_reference",
    "load_component_registries",
    "load_spec",
    "readme_with_reference",
    "spec_from_dict",
    "write_readme",
]

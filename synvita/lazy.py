"""Package namespaces that load their exported names on first use (PEP 562), so importing a package costs only
what a caller touches: `synvita.api`, `synvita.store` and `synvita.report` re-export this way."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, MutableMapping
from typing import Any


def lazy_getattr(package: str, homes: Mapping[str, tuple[str, ...]], namespace: MutableMapping[str, Any]
                 ) -> Callable[[str], Any]:
    """A module `__getattr__` for `package`: a name listed in `homes` (module → names) is imported from its module,
    any other name as the submodule `package.<name>`; each is then kept in `namespace` (the package's globals)."""
    module_of = {name: module for module, names in homes.items() for name in names}

    def __getattr__(name: str) -> Any:
        module = module_of.get(name)
        if module is not None:
            value = getattr(importlib.import_module(module), name)
        else:
            try:
                value = importlib.import_module(f"{package}.{name}")
            except ModuleNotFoundError:
                raise AttributeError(f"module '{package}' has no attribute {name!r}") from None
        namespace[name] = value
        return value

    return __getattr__

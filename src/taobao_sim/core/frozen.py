"""A read-only dict that pickles (``types.MappingProxyType`` does not), so that
scenarios can travel to worker processes."""

from __future__ import annotations

from typing import Any, NoReturn


class FrozenDict(dict):
    """A dict whose contents cannot change after construction."""

    def _readonly(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise TypeError("this mapping is read-only; use Scenario.replace() to change values")

    __setitem__ = __delitem__ = _readonly  # type: ignore[assignment]
    clear = pop = popitem = setdefault = update = _readonly  # type: ignore[assignment]
    __ior__ = _readonly  # type: ignore[assignment]

    def __reduce__(self):
        return (FrozenDict, (dict(self),))

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(tuple(sorted(self.items(), key=lambda kv: str(kv[0]))))

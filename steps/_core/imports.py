"""Keep optional heavy modules out of a step process.

pyarrow imports pandas the first time ``pa.array(list)`` runs, only to ask whether the
list is a pandas object, and treats an ImportError as "no pandas"; it imports NumPy at
start-up although it runs without it. Each costs 0.1-0.4 s and tens of MiB of every run
of a step that never uses them. Only a step's ``main()`` calls :func:`keep_out`: it owns
the process, an importer of the module does not.
"""

from __future__ import annotations

import importlib.abc
import sys
from typing import Any


class _Refuse(importlib.abc.MetaPathFinder):
    def __init__(self, names: frozenset[str]) -> None:
        self.names = names

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
        if name.partition(".")[0] in self.names:
            raise ImportError(f"{name} is kept out of this step process")


def keep_out(*modules: str) -> None:
    """Make ``import NAME`` raise ImportError for each module not imported yet.

    (A ``None`` in ``sys.modules`` would not do: pyarrow looks pandas up there directly.)
    """
    names = frozenset(m for m in modules if m not in sys.modules)
    if names:
        sys.meta_path.insert(0, _Refuse(names))

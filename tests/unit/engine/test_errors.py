"""The engine's error tree: what engine/errors.py draws is what the classes are."""

from __future__ import annotations

import re

import pytest

from workflows.engine import errors
from workflows.engine.artifacts import ArtifactError
from workflows.engine.errors import EngineError, LoadError, ManifestRefused, NodeError
from workflows.engine.expand import ExpandError
from workflows.engine.expr import EvaluationError, UnresolvedReference, UnsupportedExpression
from workflows.engine.inputs import InputError
from workflows.engine.memo import MemoError
from workflows.engine.outputs import OutputError
from workflows.engine.secrets import MissingSecret

IN_RUN = [InputError, OutputError, ExpandError, MemoError, MissingSecret, ArtifactError,
          UnresolvedReference, UnsupportedExpression, EvaluationError]


@pytest.mark.parametrize("cls", IN_RUN, ids=lambda c: c.__name__)
def test_every_in_run_error_is_a_node_error_and_not_an_engine_error(cls: type) -> None:
    assert issubclass(cls, NodeError) and not issubclass(cls, EngineError)


def test_the_errors_before_a_run_are_engine_errors() -> None:
    assert issubclass(LoadError, EngineError) and issubclass(ManifestRefused, EngineError)
    assert not issubclass(EngineError, NodeError)


def test_the_docstring_draws_every_class_of_the_tree() -> None:
    drawn = set(re.findall(r"^\s*(?:[│ ]*[├└]── )?([A-Z]\w+)", errors.__doc__ or "", re.M))
    assert drawn >= {c.__name__ for c in [EngineError, LoadError, ManifestRefused, NodeError,
                                          *IN_RUN]}

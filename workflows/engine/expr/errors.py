"""The errors of the expression language, shared by its lexer, parser and evaluator.

::

    NodeError                  (workflows.engine.errors: the in-run errors of the engine)
     ├── UnresolvedReference   a {{name}} or a variable the scope does not hold
     └── UnsupportedExpression a construct outside the supported subset, or input too big
          └── EvaluationError  a supported construct that fails on its values
                               (type mismatch, asInt('x'), integer overflow, ...)

Each carries ``where`` (a YAML path or any label the caller gives) once it is known:
``located(where)`` returns a copy naming it, so that deep code raises without context
and the boundary adds it.
"""

from __future__ import annotations

from workflows.engine.errors import NodeError

_SHOWN = 160  # how much of a hostile or huge expression a message repeats


def _shown(text: str) -> str:
    return repr(text if len(text) <= _SHOWN else text[:_SHOWN] + "...")


class ValueFailure(Exception):
    """A function or operator got values it cannot work on (the evaluator turns it into
    an EvaluationError naming the expression)."""


class UnresolvedReference(NodeError):
    """A reference that the scope cannot resolve (``{{inputs.parameters.x}}``)."""

    def __init__(self, reference: str, where: str | None = None) -> None:
        self.reference = reference
        self.where = where
        prefix = f"{where}: " if where else ""
        super().__init__(f"{prefix}failed to resolve {{{{{reference}}}}}")

    def located(self, where: str) -> UnresolvedReference:
        return UnresolvedReference(self.reference, self.where or where)


class UnsupportedExpression(NodeError):
    """An expression the engine refuses: outside the subset, or too long or deep."""

    verb = "unsupported expression"

    def __init__(self, expression: str, construct: str, where: str | None = None) -> None:
        self.expression = expression
        self.construct = construct
        self.where = where
        prefix = f"{where}: " if where else ""
        super().__init__(f"{prefix}{self.verb} {_shown(expression)}: {construct}")

    def located(self, where: str) -> UnsupportedExpression:
        return type(self)(self.expression, self.construct, self.where or where)


class EvaluationError(UnsupportedExpression):
    """A supported expression whose values make it fail (Argo: failed to evaluate)."""

    verb = "failed to evaluate expression"

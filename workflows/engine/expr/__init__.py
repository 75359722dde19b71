"""Argo's expressions: ``{{...}}`` substitution, the expr-lang subset, DAG ``depends``.

The room of the expression language, with its own tokenizer (``lexer``), parser
(``parser``), evaluator (``evaluator``), functions (``functions``, ``go_time``,
``jsonpath``, ``sprig``), Go's printing of values (``go_format``) and ``depends``
grammar (``depends``); never Python's ``eval``. The rest of the engine uses
the names below (``expressions`` says what each does); only the admission checks read
the parsed tree (``parser``).
"""

from workflows.engine.expr.expressions import (
    EvaluationError,
    Tag,
    TaskState,
    UnresolvedReference,
    UnsupportedExpression,
    dependencies_to_depends,
    depends_tasks,
    evaluate,
    evaluate_bool,
    evaluate_depends,
    evaluate_when,
    substitute,
    template_tags,
    validate_expression,
)

__all__ = [
    "EvaluationError",
    "Tag",
    "TaskState",
    "UnresolvedReference",
    "UnsupportedExpression",
    "dependencies_to_depends",
    "depends_tasks",
    "evaluate",
    "evaluate_bool",
    "evaluate_depends",
    "evaluate_when",
    "substitute",
    "template_tags",
    "validate_expression",
]

"""Where the errors of ``cadencia`` commands become messages and exit codes: one table.

The library raises its own exceptions and a command lets them go up; ``Command``, the
class of every ``cadencia`` command, turns those named in ``EXIT_CODES`` (or a subclass of
one) into click's ``Error: <message>`` line on stderr and the exit code. Anything else is a
bug, and its traceback shows.

=======================================================  ====  ==========================
exception (where it is raised)                           exit  printed
=======================================================  ====  ==========================
ConfigError (workflows.config: settings, pipelines)         1  ``Error: <message>``
ScaffoldError (workflows.scaffold: ``cadencia new``)        1  ``Error: <message>``
RunLookupError: UnknownRun, AmbiguousRun (runs.store)       1  ``Error: <message>``
UnknownNode (runs.logs: ``cadencia logs RUN NODE``)         1  ``Error: <message>``
EngineError: ManifestRefused, LoadError (the engine)        1  ``Error: <message>``
SetupError (run_embedded: embedded source, sample API)      1  ``Error: <message>``
PipelineChoiceError (local_run: ``--pipeline``)             2  ``Error: <message>``
NoSpec (show: ``cadencia show --spec``)                     2  the command's usage, then
                                                               ``Error: Invalid value for
                                                               '--spec': <message>``
=======================================================  ====  ==========================

A command's own refusal, worded with what only it knows (``cannot listen on HOST:PORT``,
``--artifacts FILE: ...``, ``RUN Succeeded: nothing to retry``, a run whose folder cannot
be written), is a ``click.ClickException`` raised where it is known: exit 1.

A command's result sets the exit code too: ``run`` and ``retry`` exit 0 when the workflow
Succeeded, 1 when not, 128 + the number of the signal that stopped it
(:mod:`workflows.cli.outcome`); ``lint`` 0, 1 on findings, 2 when nothing was found to lint
(:mod:`workflows.lint`); ``compile --check`` 1 when a committed manifest is stale.

The table names the classes by module and name, not by import: importing them would load
the configuration, Hera and the engine at every start of the command line, for
``cadencia --help`` too (a test checks that each name is a class that exists).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

Translation = Callable[[Exception, click.Context], click.ClickException]


class UsageFailure(click.ClickException):
    """A usage error told in one line, without the command's usage text: exit 2."""

    exit_code = 2


def message(kind: type[click.ClickException] = click.ClickException) -> Translation:
    """``Error: <the exception's message>``, exiting with the code of ``kind``."""
    def make(exc: Exception, ctx: click.Context) -> click.ClickException:
        return kind(str(exc))
    return make


def bad_option(option: str) -> Translation:
    """A usage error of ``option``, as click reports a bad value of it (exit 2)."""
    def make(exc: Exception, ctx: click.Context) -> click.ClickException:
        return click.BadParameter(str(exc), ctx=ctx, param_hint=option)
    return make


EXIT_CODES: dict[str, Translation] = {
    "workflows.config.load.ConfigError": message(),
    "workflows.scaffold.ScaffoldError": message(),
    "workflows.runs.store.RunLookupError": message(),
    "workflows.runs.logs.UnknownNode": message(),
    "workflows.engine.errors.EngineError": message(),
    "workflows.run_embedded.SetupError": message(),
    "workflows.local_run.PipelineChoiceError": message(UsageFailure),
    "workflows.show.NoSpec": bad_option("--spec"),
}


def translate(exc: Exception, ctx: click.Context) -> click.ClickException | None:
    """The click error that ``exc`` becomes, None when it is none of ``EXIT_CODES``."""
    for cls in type(exc).__mro__:
        found = EXIT_CODES.get(f"{cls.__module__}.{cls.__qualname__}")
        if found is not None:
            return found(exc, ctx)
    return None


class Command(click.Command):
    """A ``cadencia`` command: the exceptions of ``EXIT_CODES`` become click errors in the
    command's own context (a usage error shows this command's usage line)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except Exception as exc:
            error = translate(exc, ctx)
            if error is None:
                raise
            raise error from exc

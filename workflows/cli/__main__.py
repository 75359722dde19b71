"""``python -m workflows.cli``: the ``cadencia`` command."""

from workflows.cli import main

main()

"""Options that several ``cadencia`` commands share, written once."""

from __future__ import annotations

from pathlib import Path

import click

HOME = click.option("--home", type=click.Path(path_type=Path), default=Path(".cadencia"),
                    show_default=True, help="The folder `cadencia run` keeps runs in.")

PROJECT = click.option("--project", type=click.Path(path_type=Path, file_okay=False),
                       envvar="CADENCIA_PROJECT",
                       help="The project folder holding workflows/ (default: the current "
                            "folder when it holds workflows/environments/, else this "
                            "checkout).")

"""Pelican's command line, ended without the interpreter's teardown: ``python -m portal.build``.

At archive scale a build holds millions of objects (every article, its metadata, the render
keys' records); freeing them one by one when the interpreter exits cost a rebuild about 0.4 s
(10,000 articles) after the output was complete. This runs Pelican's ``main`` with the same
arguments, flushes the logs and standard streams, and ends the process with Pelican's exit
status at once. ``invoke build``, ``invoke publish``, the preview and the tests run Pelican so.

It first compiles the portal's own modules to bytecode where they changed (``compile_code``).
"""

from __future__ import annotations

import compileall
import logging
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CODE = ("portal", "plugins")


def exit_status(code: object) -> int:
    """Return the process status Python gives ``SystemExit(code)`` (a text is printed, status 1)."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def compile_code() -> None:
    """Write the bytecode of every module of ``portal/`` and ``plugins/`` that lacks a fresh one.

    pip compiles every package it installs (Pelican's among them) but not an editable install's
    modules, which are compiled on import, and never written where ``PYTHONDONTWRITEBYTECODE`` is
    set (as on some build machines): then every build compiled the portal's 90 modules from
    source again (0.1-0.15 s of a one-edit publish). A folder that cannot be written to is left as
    it is; an up-to-date module costs one ``stat`` and a look at its bytecode's header.
    """
    for folder in CODE:
        compileall.compile_dir(ROOT / folder, quiet=2, workers=1)


def main(argv: list[str] | None = None) -> None:
    """Run Pelican's ``main`` on ``argv``, then end the process with its status, unfreed."""
    compile_code()
    from pelican import main as pelican_main  # noqa: PLC0415 (imported by the process that builds)

    try:
        pelican_main(argv)
        status = 0
    except SystemExit as stop:
        status = exit_status(stop.code)
    logging.shutdown()  # flush every handler (Pelican's console, the findings)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


if __name__ == "__main__":
    main()

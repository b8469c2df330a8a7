"""Compiled templates kept between builds, by the build's fingerprint (Jinja's bytecode cache).

Pelican's template environments compiled the theme's templates again in every build that renders
a page: about 0.25 s of CPU at 10,000 articles (28 templates). Jinja keys a template's compiled
code by its name and file and checks its source's checksum, but the code also holds what Jinja
folded when it compiled: the result of a filter on a constant, such as a theme asset's
fingerprinted name (``portal_assets``), which changes with the asset while the template's source
does not. So the code is kept in a folder named by the render cache's fingerprint of the build
(every file of the theme, the plugins and ``portal/``, the settings, the static files:
``render_cache.fingerprint``) and Jinja's version: a build whose fingerprint differs compiles
again. Environments are remembered when their generator is made (``generator_init``) and given the
cache when the writer has computed the fingerprint (``get_writer``), before any page is rendered.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from pathlib import Path

import jinja2
from jinja2 import FileSystemBytecodeCache

ENVIRONMENTS: list = []  # the environments of this build's generators, until the writer is made
UNUSED_DAYS = 7  # another fingerprint's folder (a development build's, an old commit's) kept so long


def remember(env) -> None:
    """Keep ``env`` to give it the cache of compiled templates once the build's fingerprint is known."""
    ENVIRONMENTS.append(env)


def attach(cache_path: str | os.PathLike, fingerprint: bytes) -> None:
    """Give every remembered environment the compiled templates of ``fingerprint``."""
    digest = hashlib.sha256(fingerprint + jinja2.__version__.encode()).hexdigest()[:16]
    root = Path(cache_path)
    folder = root / f"jinja-{digest}"
    folder.mkdir(parents=True, exist_ok=True)
    os.utime(folder)  # in use: not pruned below by another build
    _prune(root, folder)
    cache = FileSystemBytecodeCache(str(folder))
    for env in ENVIRONMENTS:
        if env.bytecode_cache is None:
            env.bytecode_cache = cache
    ENVIRONMENTS.clear()


def _prune(root: Path, current: Path) -> None:
    """Remove the folders of other fingerprints unused for ``UNUSED_DAYS`` days."""
    oldest = time.time() - UNUSED_DAYS * 86400
    for folder in root.glob("jinja-*"):
        try:
            if folder != current and folder.stat().st_mtime < oldest:
                shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            continue

"""Compiled templates kept between builds: a Jinja bytecode cache keyed by everything compiling reads.

Every generator of a build has its own template environment, and each compiled every template it
used again on every build (about 0.1 s of a rebuild at any archive size). Jinja's bytecode cache
keeps a template's code by its name and the checksum of its source; what else the code depends on
(the environment's syntax and options, its extensions, which filters and tests exist and what
they are passed) goes into the key here, so a compiled template is reused only where compiling it
again would give the same code. Pure: no Pelican import.
"""

from __future__ import annotations

import hashlib
import os

import jinja2
from jinja2.bccache import Bucket, FileSystemBytecodeCache

# What the lexer, parser and code generator read of an environment (besides filters and tests).
OPTIONS = (
    "block_start_string",
    "block_end_string",
    "variable_start_string",
    "variable_end_string",
    "comment_start_string",
    "comment_end_string",
    "line_statement_prefix",
    "line_comment_prefix",
    "trim_blocks",
    "lstrip_blocks",
    "newline_sequence",
    "keep_trailing_newline",
    "optimized",
    "is_async",
)


def _named(value) -> str:
    """Return a stable name for an option's value: a callable by its module and qualified name."""
    if callable(value) and not isinstance(value, type):
        return f"{getattr(value, '__module__', '?')}.{getattr(value, '__qualname__', '?')}"
    if isinstance(value, type):
        return f"{value.__module__}.{value.__qualname__}"
    return repr(value)


def signature(environment: jinja2.Environment) -> str:
    """Return what a template's compiled code depends on in ``environment``, besides its source.

    The code generator fails on an unknown filter or test and calls each with what it asks for
    (context, evaluation context, environment), so their names and kinds count, not their code.
    """
    parts = [jinja2.__version__]
    parts += [f"{name}={getattr(environment, name, None)!r}" for name in OPTIONS]
    parts += [_named(getattr(environment, name, None)) for name in ("autoescape", "finalize")]
    parts += [_named(getattr(environment, name, None)) for name in ("code_generator_class", "context_class")]
    parts += sorted(_named(type(extension)) for extension in environment.extensions.values())
    for kind in ("filters", "tests"):
        table = getattr(environment, kind)
        # ``jinja_pass_arg``: what ``pass_context`` and its kin mark a function with.
        parts += sorted(f"{kind}:{name}:{getattr(table[name], 'jinja_pass_arg', None)}" for name in table)
    return "\n".join(parts)


class TemplateCache(FileSystemBytecodeCache):
    """Jinja's file cache of compiled templates, each keyed by name, file and ``signature``."""

    def __init__(self, directory: str | os.PathLike) -> None:
        os.makedirs(directory, exist_ok=True)
        super().__init__(os.fspath(directory), "%s.jinja")

    def get_bucket(
        self, environment: jinja2.Environment, name: str, filename: str | None, source: str
    ) -> Bucket:
        """Return the bucket of a template (Jinja's, with the environment's signature in its key)."""
        text = f"{name}\0{filename or ''}\0{signature(environment)}"
        key = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
        bucket = Bucket(environment, key, self.get_source_checksum(source))
        self.load_bytecode(bucket)
        return bucket

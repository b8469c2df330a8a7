from .theme import register  # noqa: F401

from .content import register  # noqa: F401

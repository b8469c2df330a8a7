from .security import register  # noqa: F401

from .api import register  # noqa: F401

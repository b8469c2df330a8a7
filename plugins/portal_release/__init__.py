from .release import register  # noqa: F401

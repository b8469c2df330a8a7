from .assets import register  # noqa: F401

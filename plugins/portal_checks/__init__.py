from .checks import register  # noqa: F401

from .perf import register  # noqa: F401

"""norm ops and their nn.functional entry points (filled in by the norm work)."""

__all__: list[str] = []

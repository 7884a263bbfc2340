"""pool ops and their nn.functional entry points (filled in by the pool work)."""

__all__: list[str] = []

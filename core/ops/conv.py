"""conv ops and their nn.functional entry points (filled in by the conv work)."""

__all__: list[str] = []

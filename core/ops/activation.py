"""activation ops and their nn.functional entry points (filled in by the activation work)."""

__all__: list[str] = []

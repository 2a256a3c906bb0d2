"""syncd: keeps a dealer's Blocket and Bytbil ads in step with the inventory feed.

Layers (docs/architecture.md): ``syncd.core`` (pure), the adapters ``syncd.feeds``,
``syncd.mirror`` and ``syncd.marketplaces``, the use cases and composition root at
this level, the long-running shell in ``syncd.daemon``, and ``syncd.sandbox``.
"""

"""Adapter (feeds): readers of the dealer's inventory files, one module per format."""

"""Adapter (marketplaces): one client per marketplace API."""

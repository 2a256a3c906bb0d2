"""Core: pure, no I/O, no clock — validation of feed items by the seed's rules."""

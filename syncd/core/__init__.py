"""Core: pure, no I/O, no clock — the feed model, validation, planning and reconcile decisions."""

"""Daemon: the long-running shell — scheduler, jobs, health, metrics and systemd."""

"""Benchmarks of escalated's hot paths on PostgreSQL; run them with ``python -m bench``."""

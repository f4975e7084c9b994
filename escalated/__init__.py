"""Escalated: a support-ticket desk for Django."""

__version__ = "0.1.0"

"""Ember Studio application: main window, document, commands and the ``python -m app`` entry."""

__version__ = "0.1.0"

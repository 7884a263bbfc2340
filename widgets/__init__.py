"""Reusable Qt views (canvas, palette, inspector, plots, graph view); none of them import app."""

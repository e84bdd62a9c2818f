"""Widgets shared by the TUI's screens, one module per widget."""

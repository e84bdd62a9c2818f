"""Screens of the synvita TUI: one module per screen (runs, run detail, weights, compare) and the modals."""

"""The synvita Textual front end (`synvita tui`): a thin layer over `synvita.api`; build it with `tui.app.make_app`."""

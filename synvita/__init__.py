"""synvita: a terminal experiment manager for SynViTA (video-language alignment with synthetic videos).

Importing the package is cheap: no torch, no textual. Heavy parts load lazily where they are used.
"""

__version__ = "0.1.0"

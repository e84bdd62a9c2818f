"""The `videocon` data source: the real VideoCon / SynViTA files (or a world written in their layouts by
`synvita world export`) read from one data root; `source` checks and registers it, `dataset` builds and reads
the decoded-frame cache."""

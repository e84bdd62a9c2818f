"""Runs and the queue: preparing run directories, executing stages (locally or on Slurm), ingesting their events.

`synvita.runs.worker.Worker` claims queued runs from the store (exactly once), writes each run directory's
`config.json` + `env.json`, executes `python -m synvita.stages RUN_DIR` through an executor, tails the run's
`events.jsonl` into the store, heartbeats, and records how the run ended. Stages never open the database.
"""

"""Learners' in-app training runs: the job registry pages call (registry.py), its state in the cohort database and
its work on Huey (engine.py, runner.py, worker.py), the models learners saved (runs.py), the database this process
keeps them in (bound.py), and upload checks (uploads.py). Import the module you need; this package imports nothing,
so `core.jobs.bound` and `core.jobs.uploads` stay free of torch."""

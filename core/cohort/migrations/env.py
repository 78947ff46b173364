"""Alembic's entry point for the cohort database; all the work (locking, stamping a pre-migration database,
running the revisions) is in core.cohort.migrate, shared by the app and the `alembic` command line."""

from alembic import context

from core.cohort import migrate

migrate.run_env(context)

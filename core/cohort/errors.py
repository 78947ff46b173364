"""StoreError: the one exception the cohort store raises for a database it cannot use."""


class StoreError(RuntimeError):
    """The course database cannot be used; the message says why and what to do (shown to learners as is)."""

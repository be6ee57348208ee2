"""Contact-center logic: plain functions that take values, raise domain errors, commit once."""

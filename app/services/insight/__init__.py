"""What supervisors read: the dashboard's counts, and later the service figures and scorecards
(SPEC §12), computed in SQL."""

"""The people who use KnownCaller: passwords and tokens (accounts), user management (users),
browser logins (sessions), who is online (presence), and who saw what (audit)."""

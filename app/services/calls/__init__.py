"""Calls, as the provider reports them: who is calling (recognition), the pop (screen_pop), the
call's life from ringing to wrap-up (lifecycle), whose phones ring (routing), the provider's events
live or replayed (provider_events, spool)."""

"""Tools for trying KnownCaller without a phone line or a customer base: the provider simulator
(`flask simulate-call`) and the demo data (`flask seed-demo`). Not part of the contact-center domain."""

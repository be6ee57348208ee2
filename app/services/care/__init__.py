"""The service loop's room: surveys, follow-ups, promises, a customer's stage and the care list
(SPEC §10) will live here, beside the customers they serve."""

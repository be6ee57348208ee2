"""flask CLI commands. Placeholder until the CLI lands."""


def register(app) -> None:
    return None

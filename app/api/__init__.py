"""JSON API (`/api/v1`) for integrations and the desktop. Placeholder until the API lands."""


def register_api(app) -> None:
    return None

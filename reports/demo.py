"""Nothing to seed: the dashboard and reports read live data."""


def seed(stdout) -> None:
    return None

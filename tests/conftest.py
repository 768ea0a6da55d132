import os

from hypothesis import HealthCheck, settings

# Shared, noisy machines: no per-example deadlines; CI runs a fixed, derandomised profile.
settings.register_profile("dev", deadline=None, max_examples=60)
settings.register_profile(
    "ci", deadline=None, max_examples=100, derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("ci" if os.environ.get("CI") else "dev")

"""Suite-wide settings: hypothesis draws the same examples on every run (CI must not flake)."""

from hypothesis import settings

settings.register_profile("minidl", derandomize=True, deadline=None)
settings.load_profile("minidl")

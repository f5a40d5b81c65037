"""Experiment configs: each module has `get_config(arg: str | None = None) -> ml_collections.ConfigDict`."""

"""The one parser for config arguments: `--config=configs/x.py:smoke,depth=56` passes "smoke,depth=56"."""

import ml_collections


def parse(arg: str | None, **defaults) -> ml_collections.ConfigDict:
    """Parses "key,key=value,..." against `defaults`; a bare key sets a boolean to True.

    Values take the type of their default (bool: true/false/1/0/yes/no). Unknown keys and malformed values are
    errors that name the valid choices.
    """
    values = dict(defaults)
    for item in filter(None, (part.strip() for part in (arg or "").split(","))):
        key, has_value, text = item.partition("=")
        key = key.strip()
        if key not in defaults:
            raise ValueError(f"Unknown config argument {key!r} in {arg!r}; valid: {sorted(defaults)}.")
        values[key] = _convert(key, text.strip(), defaults[key]) if has_value else _flag(key, defaults[key])
    return ml_collections.ConfigDict(values)


def _flag(key: str, default):
    if not isinstance(default, bool):
        raise ValueError(f"Config argument {key!r} needs a value ({key}=...).")
    return True


def _convert(key: str, text: str, default):
    if isinstance(default, bool):
        lowered = text.lower()
        if lowered in ("1", "true", "yes"):
            return True
        if lowered in ("0", "false", "no"):
            return False
        raise ValueError(f"Config argument {key!r} is a boolean; got {text!r}.")
    try:
        return type(default)(text)
    except ValueError as e:
        raise ValueError(
            f"Config argument {key!r} expects {type(default).__name__}; got {text!r}."
        ) from e

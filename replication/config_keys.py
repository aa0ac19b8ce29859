"""Key names between the stack config (camelCase, as in `Pulumi.<stack>.yaml`) and the component's
Args (Python names, as the package's SDKs and the component provider hand them over).

Only the model's own field names are renamed, following :class:`replication.config.StackConfig`
down through its sub-models: map keys (cluster aliases, topic names) are data, and the provider's
pass-through blocks (`kafka`, topic `config`, ...) keep the provider's camelCase names. A key the
model does not know is kept as written, so validation still reports it as a typo.

No Pulumi imports: pure key renaming, tested without an engine.
"""

from __future__ import annotations

from functools import cache
from typing import Any, get_args, get_origin

from replication import config


def to_config(args: dict[str, Any]) -> dict[str, Any]:
    """Component Args (Python names) as stack config (the model's camelCase names)."""
    return _rename_keys(args, config.StackConfig, to_config=True)


def to_args(raw: dict[str, Any]) -> dict[str, Any]:
    """Stack config (camelCase names) as component Args (Python names)."""
    return _rename_keys(raw, config.StackConfig, to_config=False)


def config_model(kind: Any) -> type[config.Model] | None:
    """The config sub-model an annotation holds (through `Annotated` and `| None`), if it is one.

    Provider pass-through blocks are not config models: their keys are the provider's.
    """
    kind = unwrap(kind)
    if isinstance(kind, type) and issubclass(kind, config.Model):
        return kind
    return None


# One definition of it, in the config model, which the key conversion reads.
unwrap = config.unwrap


@cache
def _names(model: type[config.Model], to_config: bool) -> dict[str, tuple[str, Any]]:
    """Key as given -> (key to write, the field's annotation), for one model and direction."""
    out: dict[str, tuple[str, Any]] = {}
    for name, info in model.model_fields.items():
        alias = info.alias or name
        source, target = (name, alias) if to_config else (alias, name)
        out[source] = (target, info.annotation)
    return out


def _rename(value: Any, model: type[config.Model], *, to_config: bool) -> Any:
    # Not a mapping: left for validation to refuse.
    return _rename_keys(value, model, to_config=to_config) if isinstance(value, dict) else value


def _rename_keys(value: dict[str, Any], model: type[config.Model], *, to_config: bool) -> dict[str, Any]:
    names = _names(model, to_config)
    out: dict[str, Any] = {}
    for key, item in value.items():
        target, kind = names.get(key, (key, None))
        # A key given both ways (`serviceName` and `service_name`) keeps both: validation sees both.
        out[key if target in value and target != key else target] = _convert(item, kind, to_config)
    return out


def _convert(value: Any, kind: Any, to_config: bool) -> Any:
    if kind is None:
        return value
    model = config_model(kind)
    if model is not None:
        return _rename(value, model, to_config=to_config)
    kind = unwrap(kind)
    origin = get_origin(kind)
    if origin is dict and isinstance(value, dict):
        values = get_args(kind)[1]
        return {key: _convert(item, values, to_config) for key, item in value.items()}
    if origin is list and isinstance(value, list):
        items = get_args(kind)[0]
        return [_convert(item, items, to_config) for item in value]
    return value

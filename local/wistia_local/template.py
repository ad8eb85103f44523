"""Read template.yaml the way local mode needs it: resources, parameters, and the state machine's
definition with its DefinitionSubstitutions resolved against the resources created in moto.

Only the intrinsic functions the template uses for names are resolved (Ref, GetAtt, Sub, Join, If on
conditions we evaluate as false); anything else is an error naming the value, so a template change that
local mode cannot follow fails loudly instead of running a different pipeline.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = REPO_ROOT / "template.yaml"
ACCOUNT = "123456789012"
_SUB_VARIABLE = re.compile(r"\$\{([^}!]+)\}")


class _CfnLoader(yaml.SafeLoader):
    """SafeLoader that turns `!Ref x` into {"Ref": x}, `!GetAtt a.b` into {"Fn::GetAtt": [a, b]}, etc."""


def _construct_tag(loader: _CfnLoader, tag_suffix: str, node: yaml.Node) -> Any:
    name = "Ref" if tag_suffix == "Ref" else f"Fn::{tag_suffix}"
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if tag_suffix == "GetAtt":
            value = str(value).split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {name: value}


_CfnLoader.add_multi_constructor("!", _construct_tag)  # type: ignore[no-untyped-call]


def load_template(path: Path = TEMPLATE) -> dict[str, Any]:
    document: dict[str, Any] = yaml.load(path.read_text(encoding="utf-8"), Loader=_CfnLoader)  # noqa: S506
    return document


@dataclass
class Physical:
    """What a logical resource became in moto: its Ref value and its attributes (Arn, ...)."""

    ref: str
    attributes: dict[str, str] = field(default_factory=dict)


class TemplateResolver:
    def __init__(
        self,
        template: dict[str, Any],
        physical: dict[str, Physical],
        *,
        region: str,
        parameters: dict[str, str] | None = None,
    ) -> None:
        self.template = template
        self.physical = physical
        self.region = region
        self.parameters = {
            name: str(spec.get("Default", "")) for name, spec in (template.get("Parameters") or {}).items()
        }
        self.parameters.update(parameters or {})

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        if not isinstance(value, dict):
            return value
        if len(value) != 1 or not next(iter(value)).startswith(("Ref", "Fn::")):
            return {key: self.resolve(item) for key, item in value.items()}
        function, argument = next(iter(value.items()))
        if function == "Ref":
            return self._ref(str(argument))
        if function == "Fn::GetAtt":
            logical, attribute = argument if isinstance(argument, list) else str(argument).split(".", 1)
            return self._attribute(logical, attribute)
        if function == "Fn::Sub":
            text, variables = (argument, {}) if isinstance(argument, str) else (argument[0], argument[1])
            resolved = {name: str(self.resolve(item)) for name, item in variables.items()}
            return _SUB_VARIABLE.sub(
                lambda match: resolved.get(match.group(1)) or self._sub(match.group(1)), text
            )
        if function == "Fn::Join":
            separator, items = argument
            return str(separator).join(str(self.resolve(item)) for item in items)
        if function == "Fn::If":
            _condition, _when_true, when_false = argument
            return self.resolve(when_false)
        raise ValueError(f"local mode cannot resolve {function} in {value!r}; extend wistia_local.template")

    def _ref(self, name: str) -> str:
        if name in self.physical:
            return self.physical[name].ref
        if name in self.parameters:
            return self.parameters[name]
        pseudo = {"AWS::Region": self.region, "AWS::AccountId": ACCOUNT, "AWS::StackName": "wistia-local"}
        if name in pseudo:
            return pseudo[name]
        if name == "AWS::NoValue":
            return ""
        raise ValueError(f"template refers to {name!r}, which local mode did not create")

    def _attribute(self, logical: str, attribute: str) -> str:
        if logical not in self.physical or attribute not in self.physical[logical].attributes:
            raise ValueError(f"template uses {logical}.{attribute}, which local mode does not provide")
        return self.physical[logical].attributes[attribute]

    def _sub(self, name: str) -> str:
        if "." in name:
            logical, attribute = name.split(".", 1)
            return self._attribute(logical, attribute)
        return self._ref(name)

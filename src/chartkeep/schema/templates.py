"""The seed templates (general EHR, behavioral health), shipped as data and loaded by name.

Each data file in ``schema/templates/`` holds the seed's "Schema (JSON)" block verbatim under
``classes`` and, beside it, what Chartkeep adds (``extensions``, ``newClasses``), the enum values the
seeds' prose and prompts list (``enums``), the prompt names that map onto canonical ones
(``aliases``), uniqueness hints (``unique``) and how the ``_User`` built-ins are treated
(``userBuiltins``). Why each addition exists: ``docs/templates.md``.

Loading normalises the verbatim copy: ``"User"`` means ``_User`` (as a class and as a
``targetClass``), server-managed fields (objectId, createdAt, updatedAt, ACL) are skipped, and
``_User``'s built-ins (username, password, email, emailVerified, authData) are never declared as
plain fields. Nothing here enforces anything; the server's layers consult what is exposed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from chartkeep.schema.model import (
    DEFAULT_FIELDS,
    FIELD_TYPES,
    ClassSchema,
    FieldSpec,
    valid_class_name,
    valid_field_name,
)

TEMPLATE_NAMES = ("ehr", "behavioral_health")

# Fields Parse's _User has by itself; a template may describe them but never declares them.
USER_BUILTIN_FIELDS = frozenset({"username", "password", "email", "emailVerified", "authData"})

# Seed spelling -> Parse class name.
_CLASS_RENAMES = {"User": "_User"}


class TemplateError(ValueError):
    """A template file is malformed, or two templates disagree on a field."""


@dataclass(frozen=True, slots=True)
class UserBuiltin:
    """How a template treats one of Parse's own ``_User`` fields."""

    required: bool
    unique: bool
    returned: bool


@dataclass(slots=True)
class Template:
    name: str
    title: str
    classes: dict[str, ClassSchema]
    enums: dict[str, dict[str, list[str]]]
    # (class, field) pairs that come from ``extensions`` rather than the seed's JSON schema.
    extension_fields: frozenset[tuple[str, str]] = frozenset()
    new_classes: frozenset[str] = frozenset()
    user_builtins: dict[str, UserBuiltin] = field(default_factory=dict)
    unique: dict[str, list[str]] = field(default_factory=dict)
    class_aliases: dict[str, str] = field(default_factory=dict)
    field_aliases: dict[str, str] = field(default_factory=dict)  # "Class.field" -> "Class.field"


def _class_name(name: str) -> str:
    return _CLASS_RENAMES.get(name, name)


@cache
def _raw(name: str) -> str:
    if name not in TEMPLATE_NAMES:
        raise ValueError(f"unknown template {name!r}; valid names: {', '.join(TEMPLATE_NAMES)}")
    return resources.files("chartkeep.schema").joinpath(f"templates/{name}.json").read_text("utf-8")


def raw_template(name: str) -> dict[str, Any]:
    """The data file as stored (a fresh copy), for provenance checks and docs."""
    return json.loads(_raw(name))


def _field_spec(where: str, raw: dict[str, Any]) -> FieldSpec:
    type_ = raw.get("type")
    if type_ not in FIELD_TYPES:
        raise TemplateError(f"{where}: unknown type {type_!r}")
    target = raw.get("targetClass")
    if type_ in ("Pointer", "Relation"):
        if not isinstance(target, str) or not valid_class_name(_class_name(target)):
            raise TemplateError(f"{where}: {type_} needs a valid targetClass")
        target = _class_name(target)
    elif target is not None:
        raise TemplateError(f"{where}: targetClass only applies to Pointer/Relation")
    return FieldSpec(
        type=type_,
        target_class=target,
        required=bool(raw.get("required", False)),
        default=raw.get("defaultValue"),
    )


def _add_field(classes: dict[str, ClassSchema], cls: str, name: str, spec: FieldSpec, where: str) -> None:
    if name in DEFAULT_FIELDS:
        return  # server-managed: kept in the verbatim copy, never declared
    if cls == "_User" and name in USER_BUILTIN_FIELDS:
        return  # Parse's own _User field, described by userBuiltins
    if not valid_field_name(name):
        raise TemplateError(f"{where}: invalid field name")
    schema = classes.setdefault(cls, ClassSchema(cls))
    if name in schema.fields:
        raise TemplateError(f"{where}: declared twice")
    schema.fields[name] = spec


def load_template(name: str) -> Template:
    """Build the template ``name`` (one of ``TEMPLATE_NAMES``); each call returns fresh objects."""
    doc = raw_template(name)
    classes: dict[str, ClassSchema] = {}

    for raw_cls in doc["classes"]:
        cls = _class_name(raw_cls["className"])
        if not valid_class_name(cls) or cls in classes:
            raise TemplateError(f"{name}: bad or repeated class {raw_cls['className']!r}")
        classes[cls] = ClassSchema(cls)
        for fname, raw in raw_cls["fields"].items():
            where = f"{name}: {cls}.{fname}"
            _add_field(classes, cls, fname, _field_spec(where, raw), where)
    seed_classes = set(classes)

    new_classes = frozenset(_class_name(c) for c in doc.get("newClasses", {}))
    extension_fields: set[tuple[str, str]] = set()
    for raw_cls, fields in doc.get("extensions", {}).items():
        cls = _class_name(raw_cls)
        if cls not in seed_classes and cls not in new_classes and cls != "_User":
            raise TemplateError(f"{name}: extension for unknown class {raw_cls!r} (list it in newClasses)")
        for fname, raw in fields.items():
            where = f"{name}: extension {cls}.{fname}"
            if not raw.get("why"):
                raise TemplateError(f"{where}: every extension states why")
            if fname in DEFAULT_FIELDS or (cls == "_User" and fname in USER_BUILTIN_FIELDS):
                raise TemplateError(f"{where}: server-managed or built-in field")
            _add_field(classes, cls, fname, _field_spec(where, raw), where)
            extension_fields.add((cls, fname))

    enums: dict[str, dict[str, list[str]]] = {}
    for raw_cls, fields in doc.get("enums", {}).items():
        cls = _class_name(raw_cls)
        for fname, raw in fields.items():
            spec = classes.get(cls, ClassSchema(cls)).fields.get(fname)
            if spec is None or spec.type != "String":
                raise TemplateError(f"{name}: enum for {cls}.{fname}, which is not a String field")
            enums.setdefault(cls, {})[fname] = list(raw["values"])

    return Template(
        name=name,
        title=doc.get("title", name),
        classes=classes,
        enums=enums,
        extension_fields=frozenset(extension_fields),
        new_classes=new_classes,
        user_builtins={
            k: UserBuiltin(required=v["required"], unique=v["unique"], returned=v["returned"])
            for k, v in doc.get("userBuiltins", {}).items()
        },
        unique={_class_name(c): list(v) for c, v in doc.get("unique", {}).items()},
        class_aliases=dict(doc.get("aliases", {}).get("classes", {})),
        field_aliases=dict(doc.get("aliases", {}).get("fields", {})),
    )


def _merge_spec(cls: str, fname: str, a: FieldSpec, b: FieldSpec) -> FieldSpec:
    if a.type != b.type or a.target_class != b.target_class:
        raise TemplateError(
            f"templates disagree on {cls}.{fname}: "
            f"{a.type}{'<' + a.target_class + '>' if a.target_class else ''} vs "
            f"{b.type}{'<' + b.target_class + '>' if b.target_class else ''}"
        )
    if a.default is not None and b.default is not None and a.default != b.default:
        raise TemplateError(f"templates disagree on the default of {cls}.{fname}")
    return FieldSpec(
        type=a.type,
        target_class=a.target_class,
        required=a.required or b.required,  # the stricter template wins
        default=a.default if a.default is not None else b.default,
    )


def merge_templates(names: Iterable[str]) -> dict[str, ClassSchema]:
    """The classes of several templates together (shared ``_User`` fields merged).

    A field two templates both declare must agree on type and targetClass (else ``TemplateError``,
    a ``ValueError``); it is required if either template requires it.
    """
    merged: dict[str, ClassSchema] = {}
    for name in dict.fromkeys(names):
        for cls, schema in load_template(name).classes.items():
            into = merged.setdefault(cls, ClassSchema(cls))
            for fname, spec in schema.fields.items():
                have = into.fields.get(fname)
                into.fields[fname] = spec if have is None else _merge_spec(cls, fname, have, spec)
    return merged


def merge_enums(names: Iterable[str]) -> dict[str, dict[str, list[str]]]:
    """The enum values of several templates; a field listed by two gets the union, in order."""
    merged: dict[str, dict[str, list[str]]] = {}
    for name in dict.fromkeys(names):
        for cls, fields in load_template(name).enums.items():
            for fname, values in fields.items():
                have = merged.setdefault(cls, {}).setdefault(fname, [])
                have.extend(v for v in values if v not in have)
    return merged

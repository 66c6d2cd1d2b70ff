"""The seed templates: verbatim provenance, the loader's normalisation, extensions, enums, merging."""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path

import pytest
from tests.schema.expected import ENUMS, EXTENSIONS, SEED_SCHEMAS

from chartkeep.schema import templates as tpl
from chartkeep.schema.model import DEFAULT_FIELDS, ClassSchema, FieldSpec
from chartkeep.schema.templates import (
    TEMPLATE_NAMES,
    USER_BUILTIN_FIELDS,
    TemplateError,
    load_template,
    merge_enums,
    merge_templates,
    raw_template,
)

# The seeds live in ../shared/seeds beside the repository (as in CI); override with CHARTKEEP_SEEDS_DIR.
SEEDS_DIR = Path(os.environ.get("CHARTKEEP_SEEDS_DIR", Path(__file__).resolve().parents[3] / "shared" / "seeds"))
SEED_FILES = {"ehr": "000_5c7a70cf76674c86.txt", "behavioral_health": "002_99cb112e1de824d4.txt"}


def _canon(name: str | None) -> str | None:
    return "_User" if name == "User" else name


def _seed_json_block(path: Path) -> dict:
    """The object after the seed's "Schema (JSON)" heading (first line that opens with '{')."""
    text = path.read_text(encoding="utf-8")
    start = text.index("\n{", text.index("Schema (JSON)")) + 1
    obj, _ = json.JSONDecoder().raw_decode(text, start)
    return obj


@pytest.mark.parametrize("name", TEMPLATE_NAMES)
def test_verbatim_copy_equals_the_seed_file(name):
    path = SEEDS_DIR / SEED_FILES[name]
    if not path.exists():
        pytest.skip(f"seed file not available at {path}")
    assert raw_template(name)["classes"] == _seed_json_block(path)["classes"]


@pytest.mark.parametrize("name", TEMPLATE_NAMES)
def test_verbatim_copy_matches_the_explicit_list(name):
    got = {
        c["className"]: {f: (s["type"], s["required"], s.get("targetClass")) for f, s in c["fields"].items()}
        for c in raw_template(name)["classes"]
    }
    assert got == SEED_SCHEMAS[name]


@pytest.mark.parametrize("name", TEMPLATE_NAMES)
def test_every_seed_field_is_loaded_exactly(name):
    t = load_template(name)
    for cls, fields in SEED_SCHEMAS[name].items():
        schema = t.classes[_canon(cls)]
        for fname, (type_, required, target) in fields.items():
            if fname in DEFAULT_FIELDS or (_canon(cls) == "_User" and fname in USER_BUILTIN_FIELDS):
                assert fname not in schema.fields
                continue
            assert schema.fields[fname] == FieldSpec(type_, _canon(target), required), (cls, fname)


@pytest.mark.parametrize("name", TEMPLATE_NAMES)
def test_loaded_classes_are_seed_plus_extensions_and_nothing_else(name):
    t = load_template(name)
    expected: dict[str, set[str]] = {}
    for cls, fields in SEED_SCHEMAS[name].items():
        expected[_canon(cls)] = {
            f
            for f in fields
            if f not in DEFAULT_FIELDS and not (_canon(cls) == "_User" and f in USER_BUILTIN_FIELDS)
        }
    for cls, fields in EXTENSIONS[name].items():
        expected.setdefault(cls, set()).update(fields)
    assert {c: set(s.fields) for c, s in t.classes.items()} == expected
    assert all(schema.name == cls for cls, schema in t.classes.items())


@pytest.mark.parametrize("name", TEMPLATE_NAMES)
def test_extensions_are_present_and_flagged(name):
    t = load_template(name)
    for cls, fields in EXTENSIONS[name].items():
        for fname, (type_, required, target, default) in fields.items():
            assert t.classes[cls].fields[fname] == FieldSpec(type_, target, required, default), (cls, fname)
    assert t.extension_fields == {(c, f) for c, fs in EXTENSIONS[name].items() for f in fs}


@pytest.mark.parametrize("name", TEMPLATE_NAMES)
def test_every_extension_states_why_and_verbatim_copy_stays_pure(name):
    raw = raw_template(name)
    seed_fields = {(c["className"], f) for c in raw["classes"] for f in c["fields"]}
    for cls, fields in raw["extensions"].items():
        for fname, spec in fields.items():
            assert spec["why"].strip()
            assert (cls, fname) not in seed_fields
    for cls, why in raw["newClasses"].items():
        assert why.strip()
        assert cls not in {c["className"] for c in raw["classes"]}


def test_additions_to_seed_classes_are_optional():
    # existing Back4app apps keep working: nothing they never sent becomes required
    for name in TEMPLATE_NAMES:
        t = load_template(name)
        for cls, fname in t.extension_fields:
            if cls not in t.new_classes:
                assert not t.classes[cls].fields[fname].required, (name, cls, fname)


def test_provider_profile_is_a_new_class():
    t = load_template("behavioral_health")
    assert t.new_classes == {"ProviderProfile", "CrisisLogRevision"}
    assert load_template("ehr").new_classes == frozenset()


def test_user_maps_to__user_and_builtins_are_not_redeclared():
    t = load_template("ehr")
    assert "User" not in t.classes
    user = t.classes["_User"]
    assert user.fields == {
        "role": FieldSpec("String", required=True),
        "displayName": FieldSpec("String"),
        "licenseNumber": FieldSpec("String"),
    }
    assert not USER_BUILTIN_FIELDS & set(user.fields)
    assert t.classes["Patient"].fields["primaryClinician"].target_class == "_User"
    for schema in merge_templates(TEMPLATE_NAMES).values():
        for spec in schema.fields.values():
            assert spec.target_class != "User"


def test_user_builtins_treatment():
    b = load_template("ehr").user_builtins
    assert set(b) == {"username", "email", "password"}
    assert b["password"].returned is False and b["password"].unique is False
    assert b["username"].unique and b["email"].unique
    assert all(v.required for v in b.values())
    assert load_template("behavioral_health").user_builtins == {}


@pytest.mark.parametrize("name", TEMPLATE_NAMES)
def test_server_managed_fields_are_skipped(name):
    for schema in load_template(name).classes.values():
        assert not set(DEFAULT_FIELDS) & set(schema.fields)


@pytest.mark.parametrize("name", TEMPLATE_NAMES)
def test_enums(name):
    assert load_template(name).enums == ENUMS[name]


@pytest.mark.parametrize("name", TEMPLATE_NAMES)
def test_aliases_point_at_real_fields_and_are_not_fields_themselves(name):
    t = load_template(name)
    for alias, canonical in t.class_aliases.items():
        assert canonical in t.classes and alias not in t.classes
    for alias, canonical in t.field_aliases.items():
        cls, fname = canonical.split(".")
        assert fname in t.classes[cls].fields, canonical
        a_cls, a_field = alias.split(".")
        a_cls = t.class_aliases.get(a_cls, a_cls)
        assert a_field not in t.classes[a_cls].fields, alias


@pytest.mark.parametrize("name", TEMPLATE_NAMES)
def test_unique_hints_name_declared_fields(name):
    t = load_template(name)
    for cls, fields in t.unique.items():
        assert set(fields) <= set(t.classes[cls].fields)


def test_unknown_template_name():
    with pytest.raises(ValueError, match="ehr, behavioral_health"):
        load_template("dental")
    with pytest.raises(ValueError, match="unknown template"):
        merge_templates(["ehr", "nope"])


def test_each_load_returns_fresh_objects():
    a = load_template("ehr")
    a.classes["Patient"].fields.clear()
    a.enums["Patient"]["status"].append("x")
    b = load_template("ehr")
    assert "mrn" in b.classes["Patient"].fields
    assert b.enums["Patient"]["status"] == ["active", "inactive", "archived"]


def test_merge_both_templates():
    merged = merge_templates(TEMPLATE_NAMES)
    ehr, bh = load_template("ehr"), load_template("behavioral_health")
    assert set(merged) == set(ehr.classes) | set(bh.classes)
    assert set(ehr.classes) & set(bh.classes) == {"_User"}
    # the stricter template wins: EHR requires role, BH declares it optional
    assert merged["_User"].fields == {
        "role": FieldSpec("String", required=True),
        "displayName": FieldSpec("String"),
        "licenseNumber": FieldSpec("String"),
    }
    # overlapping concepts stay separate classes with their own field names
    assert "mrn" in merged["Patient"].fields and "medicalRecordNumber" in merged["PatientProfile"].fields
    assert "eventType" in merged["AuditEvent"].fields and "action" in merged["AuditLog"].fields
    # merging does not alias the cached/loaded objects
    merged["_User"].fields.clear()
    assert load_template("ehr").classes["_User"].fields


def test_merge_single_and_repeated_names():
    assert merge_templates(["ehr"]).keys() == load_template("ehr").classes.keys()
    assert merge_templates(["behavioral_health", "behavioral_health"]).keys() == (
        load_template("behavioral_health").classes.keys()
    )


def _fake(name: str, fields: dict[str, FieldSpec]) -> tpl.Template:
    return tpl.Template(
        name=name, title=name, classes={"_User": ClassSchema("_User", dict(fields))}, enums={}
    )


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (FieldSpec("String"), FieldSpec("Number")),
        (FieldSpec("Pointer", "Patient"), FieldSpec("Pointer", "PatientProfile")),
        (FieldSpec("Number", default=1), FieldSpec("Number", default=2)),
    ],
)
def test_merge_conflict_is_an_error(monkeypatch, a, b):
    fakes = {"ehr": _fake("ehr", {"x": a}), "behavioral_health": _fake("behavioral_health", {"x": b})}
    monkeypatch.setattr(tpl, "load_template", lambda n: fakes[n])
    with pytest.raises(TemplateError, match=r"_User\.x"):
        merge_templates(TEMPLATE_NAMES)
    assert issubclass(TemplateError, ValueError)


def test_merge_enums_unions_role_values():
    enums = merge_enums(TEMPLATE_NAMES)
    assert enums["_User"]["role"] == [
        "admin",
        "physician",
        "nurse",
        "scribe",
        "auditor",
        "patient",
        "provider",
    ]
    assert enums["Message"]["status"] == ["sent", "delivered", "read"]
    assert enums["MedicalNote"]["status"] == ["draft", "under_review", "signed", "amended"]


def _broken(monkeypatch, mutate) -> None:
    doc = raw_template("behavioral_health")
    mutate(doc)
    monkeypatch.setattr(tpl, "raw_template", lambda name: copy.deepcopy(doc))


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (
            lambda d: d["extensions"].update({"Patinet": {"x": {"type": "String", "why": "w"}}}),
            "unknown class",
        ),
        (lambda d: d["extensions"]["Message"]["status"].pop("why"), "why"),
        (
            lambda d: d["extensions"]["Message"].update({"objectId": {"type": "String", "why": "w"}}),
            "built-in",
        ),
        (lambda d: d["extensions"]["_User"].update({"password": {"type": "String", "why": "w"}}), "built-in"),
        (lambda d: d["extensions"]["Message"].update({"x": {"type": "Text", "why": "w"}}), "unknown type"),
        (lambda d: d["extensions"]["Message"].update({"x": {"type": "Pointer", "why": "w"}}), "targetClass"),
        (lambda d: d["extensions"]["Message"].update({"body": {"type": "String", "why": "w"}}), "twice"),
        (lambda d: d["enums"].update({"Message": {"isRead": {"values": ["y"]}}}), "not a String"),
    ],
)
def test_malformed_template_is_rejected(monkeypatch, mutate, message):
    _broken(monkeypatch, mutate)
    with pytest.raises(TemplateError, match=message):
        load_template("behavioral_health")


def test_docs_list_every_class_and_extension():
    doc = (Path(__file__).resolve().parents[2] / "docs" / "templates.md").read_text(encoding="utf-8")
    for name in TEMPLATE_NAMES:
        t = load_template(name)
        for cls, schema in t.classes.items():
            assert f"`{cls}`" in doc, cls
            for fname, spec in schema.fields.items():
                assert f"| `{fname}` | {spec.type}" in doc, (cls, fname)
        for alias in (*t.class_aliases, *t.field_aliases):
            assert alias.split(".")[-1] in doc, alias

"""``createPatient``/``updatePatient``/``deletePatient`` (Parse's Relay-style input and payload).

Each calls the service the REST route calls (``writes`` for classes, ``users`` for ``_User``), so
CLPs, ACLs, the clinical hooks and audit apply unchanged, in one transaction; a refused mutation
changes nothing and reports the service's Parse code. The payload object is then read back with
the caller's permissions (as Parse does), with the selected pointers included.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    GraphQLArgument,
    GraphQLField,
    GraphQLID,
    GraphQLInputField,
    GraphQLInputObjectType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLString,
)

from chartkeep.accounts import users
from chartkeep.api.graphql.inputs import to_parse_body
from chartkeep.api.graphql.names import from_global_id
from chartkeep.api.graphql.queries import get_object
from chartkeep.api.graphql.selection import selected_paths, under
from chartkeep.api.graphql.state import GraphQLContext
from chartkeep.api.graphql.types import ClassTypes
from chartkeep.errors import Code, ParseError
from chartkeep.records import writes

USER = "_User"
ONLY_ID = frozenset({"id", "objectId"})


def relay_mutation(
    name: str, input_fields: dict[str, GraphQLInputField], output_fields: dict[str, GraphQLField], mutate: Any,
    description: str,
) -> GraphQLField:
    """A Relay mutation: ``name(input: {..., clientMutationId}) { ..., clientMutationId }``."""
    upper = name[0].upper() + name[1:]
    input_type = GraphQLInputObjectType(
        f"{upper}Input", {**input_fields, "clientMutationId": GraphQLInputField(GraphQLString)}
    )
    payload = GraphQLObjectType(
        f"{upper}Payload", {**output_fields, "clientMutationId": GraphQLField(GraphQLString)}
    )

    async def resolve(_root: Any, info: Any, input: dict[str, Any]) -> dict[str, Any]:  # noqa: A002
        out = await mutate(info.context, input, info)
        return {**out, "clientMutationId": input.get("clientMutationId")}

    return GraphQLField(
        GraphQLNonNull(payload), {"input": GraphQLArgument(GraphQLNonNull(input_type))}, resolve,
        description=description,
    )


async def _read_back(gql: GraphQLContext, class_name: str, written: dict[str, Any], paths: set[str]) -> dict[str, Any]:
    """The written object as the caller may now read it; what the write returned if nothing more is
    selected, or if the caller cannot read the object (Parse answers with what it has)."""
    written = {k: v for k, v in written.items() if not (isinstance(v, dict) and "__op" in v)}  # an unset field
    if paths <= ONLY_ID | set(written):
        return written
    try:
        return {**written, **await get_object(gql, class_name, written["objectId"], paths)}
    except ParseError as exc:
        if exc.code != Code.OBJECT_NOT_FOUND:
            raise
        return written


def class_mutations(t: ClassTypes) -> dict[str, GraphQLField]:
    class_name, key = t.schema.name, t.get_name
    out_field = {key: GraphQLField(GraphQLNonNull(t.object))}

    async def create(gql: GraphQLContext, args: dict[str, Any], info: Any) -> dict[str, Any]:
        body = to_parse_body(args.get("fields"), t.schema)
        if class_name == USER:
            if not gql.ctx.is_master:  # a sign-up, under the same per-IP limit as signUp and POST /users
                gql.limiters.signup.take(gql.core.settings, gql.ctx.client_ip or "unknown")
            written = await users.sign_up(gql.core, gql.ctx, body)
            written.pop("sessionToken", None)  # signUp is the mutation that hands back a session
        else:
            written = await writes.create(gql.core, gql.ctx, class_name, body)
        return {key: await _read_back(gql, class_name, written, under(selected_paths(info), key + "."))}

    async def update(gql: GraphQLContext, args: dict[str, Any], info: Any) -> dict[str, Any]:
        object_id = from_global_id(args["id"], class_name)
        body = to_parse_body(args.get("fields"), t.schema)
        if class_name == USER:
            written = await users.update_user(gql.core, gql.ctx, object_id, body)
            written.pop("sessionToken", None)
        else:
            written = await writes.update(gql.core, gql.ctx, class_name, object_id, body)
        written = {**written, "objectId": object_id}
        return {key: await _read_back(gql, class_name, written, under(selected_paths(info), key + "."))}

    async def delete(gql: GraphQLContext, args: dict[str, Any], info: Any) -> dict[str, Any]:
        object_id = from_global_id(args["id"], class_name)
        before = await _read_back(gql, class_name, {"objectId": object_id}, under(selected_paths(info), key + "."))
        if class_name == USER:
            await users.delete_user(gql.core, gql.ctx, object_id)
        else:
            await writes.delete(gql.core, gql.ctx, class_name, object_id)
        return {key: before}

    id_arg = {"id": GraphQLInputField(GraphQLNonNull(GraphQLID))}
    return {
        f"create{t.name}": relay_mutation(
            f"create{t.name}", {"fields": GraphQLInputField(t.create_fields)}, out_field, create,
            f"Create a {t.name}.",
        ),
        f"update{t.name}": relay_mutation(
            f"update{t.name}", {**id_arg, "fields": GraphQLInputField(t.update_fields)}, out_field, update,
            f"Update a {t.name}.",
        ),
        f"delete{t.name}": relay_mutation(
            f"delete{t.name}", id_arg, out_field, delete, f"Delete a {t.name}; the payload is the object before."
        ),
    }

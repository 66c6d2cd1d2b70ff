"""``viewer``, ``signUp``, ``logIn``, ``logOut``: the account services REST's /users, /login,
/logout call, with the same rate limits (GraphQL's own buckets) and Parse's viewer shape."""

from __future__ import annotations

from typing import Any

from graphql import (
    GraphQLBoolean,
    GraphQLField,
    GraphQLInputField,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLString,
)

from chartkeep.accounts import login, sessions, users
from chartkeep.api.graphql import scalars
from chartkeep.api.graphql.inputs import to_parse_body
from chartkeep.api.graphql.mutations import relay_mutation
from chartkeep.api.graphql.queries import get_object
from chartkeep.api.graphql.selection import selected_paths, under
from chartkeep.api.graphql.state import GraphQLContext
from chartkeep.api.graphql.types import ClassTypes
from chartkeep.context import RequestContext
from chartkeep.errors import Code, ParseError

USER = "_User"


async def _viewer(gql: GraphQLContext, ctx: RequestContext, paths: set[str]) -> dict[str, Any]:
    if ctx.user is None or ctx.session_token is None:
        raise ParseError(Code.INVALID_SESSION_TOKEN, "Invalid session token")
    as_viewer = GraphQLContext(gql.core, ctx, gql.creds, gql.limiters)
    user = await get_object(as_viewer, USER, ctx.user["objectId"], under(paths, "user."))
    return {"sessionToken": ctx.session_token, "user": user}


def account_fields(user: ClassTypes) -> tuple[dict[str, GraphQLField], dict[str, GraphQLField]]:
    """(queries, mutations)."""
    viewer = GraphQLObjectType("Viewer", {
        "sessionToken": GraphQLField(GraphQLNonNull(GraphQLString)),
        "user": GraphQLField(GraphQLNonNull(user.object)),
    }, description="The signed-in user and their session token.")

    async def resolve_viewer(_root: Any, info: Any) -> dict[str, Any]:
        gql: GraphQLContext = info.context
        return await _viewer(gql, gql.ctx, selected_paths(info))

    async def sign_up(gql: GraphQLContext, args: dict[str, Any], info: Any) -> dict[str, Any]:
        if not gql.ctx.is_master:
            gql.limiters.signup.take(gql.core.settings, gql.ctx.client_ip or "unknown")
        created = await users.sign_up(gql.core, gql.ctx, to_parse_body(args.get("fields"), user.schema))
        token = created.get("sessionToken")
        if not token:  # email verification pending: no session yet (prevent_login_with_unverified_email)
            raise ParseError(Code.EMAIL_NOT_FOUND, "User created; its email is not verified, so no session was opened.")
        ctx = await gql.as_session(token)
        return {"viewer": await _viewer(gql, ctx, under(selected_paths(info), "viewer."))}

    async def log_in(gql: GraphQLContext, args: dict[str, Any], info: Any) -> dict[str, Any]:
        if not gql.ctx.is_master:
            gql.limiters.login.take(gql.core.settings, gql.ctx.client_ip or "unknown")
        params = {k: v for k, v in args.items() if k in ("username", "password", "authData") and v is not None}
        reply = await login.log_in(gql.core, gql.ctx, params)
        ctx = await gql.as_session(reply["sessionToken"])
        return {"viewer": await _viewer(gql, ctx, under(selected_paths(info), "viewer."))}

    async def log_out(gql: GraphQLContext, args: dict[str, Any], info: Any) -> dict[str, Any]:
        if gql.ctx.session_token:
            await sessions.revoke_token(gql.core, gql.ctx.session_token, gql.ctx)
        return {"ok": True}

    viewer_out = {"viewer": GraphQLField(GraphQLNonNull(viewer))}
    queries = {"viewer": GraphQLField(GraphQLNonNull(viewer), resolve=resolve_viewer,
                                      description="The user of the session token sent (209 without one).")}
    mutations = {
        "signUp": relay_mutation(
            "signUp", {"fields": GraphQLInputField(user.create_fields)}, viewer_out, sign_up,
            "Create a user and open a session (POST /users).",
        ),
        "logIn": relay_mutation(
            "logIn", {
                "username": GraphQLInputField(GraphQLString),
                "password": GraphQLInputField(GraphQLString),
                "authData": GraphQLInputField(scalars.OBJECT, description="e.g. {mfa: {token}} for MFA."),
            }, viewer_out, log_in, "Open a session (POST /login).",
        ),
        "logOut": relay_mutation(
            "logOut", {}, {"ok": GraphQLField(GraphQLNonNull(GraphQLBoolean))}, log_out,
            "End the session sent (POST /logout).",
        ),
    }
    return queries, mutations

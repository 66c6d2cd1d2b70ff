from tests.graphql_api.conftest import Gql


async def test_health_and_a_find(gql: Gql) -> None:
    assert await gql.data("{ health }") == {"health": True}
    data = await gql.data("{ patients { count edges { node { id objectId mrn } } } }", master=True)
    assert data == {"patients": {"count": 0, "edges": []}}

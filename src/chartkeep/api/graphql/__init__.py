"""The GraphQL API at ``/graphql``: a schema generated from the live class registry (docs/graphql.md)."""

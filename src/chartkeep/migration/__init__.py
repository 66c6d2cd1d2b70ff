"""Moving a Parse app in and out: ``chartkeep import`` and ``chartkeep export`` (docs/migration.md)."""

"""Queries: Parse ``where`` JSON → typed IR → SQL (PostgreSQL, SQLite) and → in-memory matcher.

Modules, one idea each:

- ``ir``          the IR nodes (frozen dataclasses) and ``and_``/``or_``/``not_``/``walk``.
- ``parse``       ``parse_where(class_name, where, schemas, scope)``: keys, ``$and/$or/$nor``,
                  ``$relatedTo``, Relation fields, subqueries (each AND-ed with ``scope``).
- ``constraints`` one field's operators; ``values`` Parse JSON → internal values and JSON
                  equality; ``regex`` ``$regex``/``$options``; ``reltime`` ``$relativeTime``.
- ``order``       ``parse_order("a,-b", schema)``.
- ``sql``         ``compile_where`` / ``compile_select`` / ``compile_count`` /
                  ``compile_values``; spellings in ``sql_pg`` and ``sql_sqlite`` over ``sql_base``.
- ``matcher``     ``matches(node, obj, resolver=None)``.
- ``sqlite_functions`` the ``REGEXP`` function SQLite connections need.

Semantics are Parse Server's with its MongoDB back end (the reference the SDKs and LiveQuery
follow), errors are its codes and messages. Where Chartkeep knowingly differs:

- ``$in``/``$nin``/``$ne`` treat a missing field as Mongo does (``$nin``/``$ne`` match it),
  also on PostgreSQL, where Parse Server's own adapter drops NULLs.
- A field the class lacks is missing on every object (``$exists: false`` matches all) without
  touching SQL; a sub-key of a non-Object field (``ptr.name``) likewise.
- ``{"arr": null}`` / ``$in: [null]`` on an Array field match a missing array only, not an array
  holding null; ``$lt``/``$gt`` on an Array field and array operators on Object sub-keys are
  not evaluated element-wise (the former match nothing, the latter are refused with 108).
- ``$regex`` is Python ``re`` syntax minus what PostgreSQL or RE2 cannot run (refused with 102:
  this process matches with RE2, in linear time); ``\\Q...\\E`` is honoured. ``$text`` and the geo operators are refused with 108.
- Strings compare in code point order everywhere (PostgreSQL ``COLLATE "C"``), as in MongoDB.
- A Date column also accepts an ISO string as the compared value.
"""

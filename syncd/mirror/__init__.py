"""Adapter (mirror): the mirror adapter: the SQL record of every ad syncd manages.

``schema`` (tables), ``migrate`` (Alembic, the only way the schema is made),
``engine`` (engines with the right connection settings, error translation),
``sql`` (:class:`~syncd.mirror.sql.SqlMirror`, the ``Mirror`` port) and
``lock`` (one run at a time per dealer). Importing it has no side effects.
"""

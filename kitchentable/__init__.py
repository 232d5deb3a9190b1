"""Kitchentable: the keukentafelgesprek at the table, offline.

The version below is the single source of truth: pyproject.toml reads it, the About box,
the PDF metadata and the sync protocol's user agent show it.
"""

__version__ = "0.1.0"

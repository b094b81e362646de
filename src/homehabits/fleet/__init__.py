"""Many homes on Dask distributed: one task per home, the results in one database."""

from __future__ import annotations

"""Publication: statistical disclosure control (this package), extracts and the OREF snapshot.

The disclosure engine's public API is :mod:`pipelines.publication.disclosure`; it is re-exported
here so callers can write ``from pipelines.publication import protect_tables``.
"""

from .disclosure import *  # noqa: F401,F403
from .disclosure import __all__  # noqa: F401

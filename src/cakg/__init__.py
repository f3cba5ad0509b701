"""cakg, the Central Asia Knowledge Graph: build, validate, reason over and serve a curated KG."""

from cakg.config import Settings
from cakg.errors import CakgError

__version__ = "0.1.0"
__all__ = ["CakgError", "Settings", "__version__"]

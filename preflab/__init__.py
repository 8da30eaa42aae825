"""preflab: collect human preference data for RLHF and turn it into reward models.

The library API: open a store, import tasks, export them.

    >>> from preflab import Settings, open_store, import_tasks, Source, export
"""

from .config import Settings
from .exports import stream as export
from .imports import ImportFailed, Source, import_tasks
from .instance import create_project, first_start, open_store

__version__ = "0.1.0"
__all__ = [
    "ImportFailed",
    "Settings",
    "Source",
    "create_project",
    "export",
    "first_start",
    "import_tasks",
    "open_store",
]

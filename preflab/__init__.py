"""preflab: collect human preference data for RLHF and turn it into reward models.

The library API: open a store, import tasks, export them (Label Studio's formats or training
data), and compute a project's quality figures.

    >>> from preflab import Settings, open_store, import_tasks, Source, export, Options, project_stats
    >>> store = open_store(Settings(data_dir="preflab-data"))
    >>> with open("prefs.jsonl", "wb") as out:
    ...     for chunk in export(store, 1, "PREFERENCE_JSONL", options=Options(min_votes=2)):
    ...         out.write(chunk)

Training (``preflab.train``) and generation (``preflab.generate``) are optional extras, imported
on their own.
"""

from .domain.preferences import Options
from .services.exports import ExportFailed, write_hf_dataset
from .services.exports import stream as export
from .services.imports import ImportFailed, Source, import_tasks
from .services.instance import create_project, first_start, open_store
from .services.settings import Settings
from .services.stats import project_stats

__version__ = "0.1.0"
__all__ = [
    "ExportFailed",
    "ImportFailed",
    "Options",
    "Settings",
    "Source",
    "create_project",
    "export",
    "first_start",
    "import_tasks",
    "open_store",
    "project_stats",
    "write_hf_dataset",
]

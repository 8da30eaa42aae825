"""Generated rows into a project, through the same all-or-nothing import as files.

Rows already in the project are not imported twice, so rerunning a finished command changes
nothing. Each imported task carries its row's generation key in its ``meta``
(``{"generation_key": K}``) and a rerun skips every key the project's tasks or the journal name:
a run that died after the import committed but before the journal recorded it imports nothing
again. A project this module creates (``--template`` / ``--config``) is created only once every
prompt is answered, recorded in the journal before the import, and deleted again if the import
is refused, so a failed run leaves no empty project behind; a rerun of the same command fills
the project the first run created instead of making another.
"""

from __future__ import annotations

from dataclasses import dataclass

from .journal import Journal
from .plan import fit_to_config

META_KEY = "generation_key"  # in each imported task's meta: the generation key of its row


@dataclass
class NewProject:
    title: str
    label_config: str
    maximum_annotations: int = 1
    render_markdown: bool = True


@dataclass
class Imported:
    project_id: int | None
    tasks: int
    created: bool
    already: int  # rows skipped: imported into this project by an earlier run


def import_rows(
    store, rows: list[dict], journal: Journal, *, user_id: int, project_id: int | None = None,
    new: NewProject | None = None, source_name: str = "generated",
) -> Imported:  # fmt: skip
    """Import ``rows`` into ``project_id``, or into a project made from ``new``; raises
    preflab.services.imports.ImportFailed (nothing written, no project left behind)."""
    from ..domain import labelconfig
    from ..services.imports import ImportFailed, Source, import_tasks
    from ..services.instance import create_project
    from ..store import projects as project_store

    created = False
    if project_id is None:
        project_id = _earlier_project(store, journal)
    if project_id is not None:
        with store.read() as conn:
            project = project_store.get(conn, project_id)
        if project is None:
            raise ImportFailed(f"there is no project {project_id}")
        xml = project["label_config"]
    else:
        xml = new.label_config
    done = (
        journal.imported_keys(project_id) | keys_in_project(store, project_id)
        if project_id is not None
        else set()
    )
    fresh = [r for r in rows if r["generation"]["key"] not in done]
    if not fresh:
        return Imported(project_id, 0, False, len(rows))
    config = labelconfig.parse(xml)
    fresh = [fit_to_config(r, config.missing_keys(r)) for r in fresh]
    if project_id is None:
        project_id = create_project(
            store,
            title=new.title,
            label_config=new.label_config,
            user_id=user_id,
            maximum_annotations=new.maximum_annotations,
            render_markdown=new.render_markdown,
        )
        created = True
        journal.record_import(project_id, created, [])  # a rerun after a crash finds this project
    items = [{"data": r, "meta": {META_KEY: r["generation"]["key"]}} for r in fresh]
    try:
        result = import_tasks(
            store, project_id, [Source(name=source_name, items=items, is_file=False)], user_id=user_id
        )
    except BaseException:
        if created:
            with store.write() as conn:
                project_store.delete_project(conn, project_id)
        raise
    journal.record_import(project_id, created, sorted({r["generation"]["key"] for r in fresh}))
    return Imported(project_id, result.task_count, created, len(rows) - len(fresh))


def keys_in_project(store, project_id: int) -> set[str]:
    """The generation keys the project's tasks carry in their meta."""
    from ..store import tasks as task_store

    with store.read() as conn:
        return task_store.meta_strings(conn, project_id, META_KEY)


def _earlier_project(store, journal: Journal) -> int | None:
    """The project an earlier run of this journal created, if it still exists."""
    from ..store import projects as project_store

    with store.read() as conn:
        for project_id in reversed(journal.created_projects()):
            if project_store.get(conn, project_id) is not None:
                return project_id
    return None

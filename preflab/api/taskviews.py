"""Tasks as the API shows them: ``services.tasks.ShownTask`` in Label Studio's shape."""

from ..services.tasks import ShownTask
from .render import task_json


def shown_json(shown: ShownTask) -> dict:
    return task_json(
        shown.task,
        shown.annotations,
        shown.predictions,
        shown.authors,
        shown.upload,
        blind=shown.blind,
        drafts=shown.drafts,
        judged=shown.judged,
        shown_order=shown.shown_order,
    )

"""The tables. One schema for SQLite and PostgreSQL.

JSON payloads (task data, results) are stored as JSON text: the exporters splice them into their
output without decoding them. Timestamps are ISO-8601 UTC strings with microseconds and ``Z``,
the format the API returns, so they sort as text and need no conversion on the way out.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    text,
)

metadata = MetaData()

Stamp = String(32)

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("email", String(254), nullable=False, unique=True),
    Column("username", String(150), nullable=False, default=""),
    Column("first_name", String(150), nullable=False, default=""),
    Column("last_name", String(150), nullable=False, default=""),
    Column("role", String(16), nullable=False),
    Column("password_hash", Text),
    Column("token_hash", String(64), unique=True),
    Column("is_active", Boolean, nullable=False, default=True),
    Column("created_at", Stamp, nullable=False),
    Column("last_activity", Stamp, nullable=False),
    sqlite_autoincrement=True,  # ids are never reused (migration 0010)
)

projects = Table(
    "projects",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("title", String(200), nullable=False, default=""),
    Column("description", Text, nullable=False, default=""),
    Column("label_config", Text, nullable=False),
    Column("expert_instruction", Text, nullable=False, default=""),
    Column("show_instruction", Boolean, nullable=False, default=False),
    Column("show_skip_button", Boolean, nullable=False, default=True),
    Column("enable_empty_annotation", Boolean, nullable=False, default=True),
    Column("show_annotation_history", Boolean, nullable=False, default=False),
    Column("color", String(16), nullable=False, default="#FFFFFF"),
    Column("maximum_annotations", Integer, nullable=False, default=1),
    Column("is_published", Boolean, nullable=False, default=False),
    Column("model_version", Text, nullable=False, default=""),
    Column("is_draft", Boolean, nullable=False, default=False),
    Column("sampling", String(32), nullable=False, default="Sequential sampling"),
    Column("show_collab_predictions", Boolean, nullable=False, default=True),
    Column("show_overlap_first", Boolean, nullable=False, default=False),
    Column("overlap_cohort_percentage", Integer, nullable=False, default=100),
    Column("min_annotations_to_start_training", Integer, nullable=False, default=0),
    Column("randomize_order", Boolean, nullable=False, default=False),
    # Draw task text as (sanitized) Markdown on the labeling page; plain text otherwise, as in Label Studio.
    Column("render_markdown", Boolean, nullable=False, default=False),
    # Hosts (space-separated, e.g. "cdn.example.com media.example.org") whose http(s) images, audio
    # and video the labeling page may load; none by default.
    Column("media_hosts", Text, nullable=False, default=""),
    # What a skip does to the queue: REQUEUE_FOR_OTHERS, REQUEUE_FOR_ME or IGNORE_SKIPPED
    Column("skip_queue", String(32), nullable=False, default="REQUEUE_FOR_OTHERS"),
    Column("show_ground_truth_first", Boolean, nullable=False, default=False),
    # The share of each labeler's stream that is gold tasks (with a ground-truth answer) they have
    # not seen, mixed in unannounced; with gold_feedback a miss is answered with the right answer.
    Column("gold_rate", Float, nullable=False, server_default="0"),
    Column("gold_feedback", Boolean, nullable=False, server_default=false()),
    # The share of each labeler's stream that is a task they answered at least reask_gap tasks
    # earlier, shown again in the other order, unannounced (self-consistency).
    Column("reask_rate", Float, nullable=False, server_default="0"),
    Column("reask_gap", Integer, nullable=False, server_default="10"),
    Column("pinned_at", Stamp),
    Column("restricted", Boolean, nullable=False, default=False),
    Column("created_by", Integer, ForeignKey("users.id", ondelete="SET NULL")),
    Column("created_at", Stamp, nullable=False),
    Column("updated_at", Stamp, nullable=False),
    sqlite_autoincrement=True,  # ids are never reused (migration 0010)
)

project_members = Table(
    "project_members",
    metadata,
    Column("project_id", Integer, ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)

file_uploads = Table(
    "file_uploads",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("project_id", Integer, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(300), nullable=False),
    Column("created_at", Stamp, nullable=False),
    sqlite_autoincrement=True,  # ids are never reused (migration 0010)
)

tasks = Table(
    "tasks",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("project_id", Integer, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("inner_id", Integer, nullable=False),
    Column("data", Text, nullable=False),
    Column("meta", Text, nullable=False, default="{}"),
    Column("file_upload_id", Integer, ForeignKey("file_uploads.id", ondelete="SET NULL")),
    # Denormalized counters, kept in the same transaction as the annotation that changes them.
    Column("total_annotations", Integer, nullable=False, default=0),
    Column("cancelled_annotations", Integer, nullable=False, default=0),
    Column("total_predictions", Integer, nullable=False, default=0),
    Column("is_labeled", Boolean, nullable=False, default=False),
    # Share of the finished annotations that agree with the most common answer (None below two).
    Column("agreement", Float),
    Column("completed_at", Stamp),
    Column("updated_by", Integer, ForeignKey("users.id", ondelete="SET NULL")),
    Column("created_at", Stamp, nullable=False),
    Column("updated_at", Stamp, nullable=False),
    Index("ix_tasks_queue", "project_id", "is_labeled", "id"),
    Index("ix_tasks_project", "project_id", "id"),
    UniqueConstraint("project_id", "inner_id", name="uq_tasks_inner_id"),
    sqlite_autoincrement=True,  # ids are never reused (migration 0010)
)

annotations = Table(
    "annotations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("task_id", Integer, ForeignKey("tasks.id", ondelete="CASCADE"), nullable=False),
    Column("project_id", Integer, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("completed_by", Integer, ForeignKey("users.id", ondelete="SET NULL")),
    Column("result", Text, nullable=False, default="[]"),
    Column("was_cancelled", Boolean, nullable=False, default=False),
    Column("ground_truth", Boolean, nullable=False, default=False),
    Column("lead_time", Float),
    # The order the answers were shown in (position-bias control), e.g. ["answer2", "answer1"].
    Column("shown_order", Text),
    # Why the labeler answered: "label" (a vote), "gold" (a gold task mixed into their stream: it
    # scores them and counts toward neither overlap nor outcomes), "reask" (a task they answered
    # before, shown again swapped: it measures their self-consistency and is no vote)
    Column("kind", String(8), nullable=False, server_default="label"),
    Column("unique_id", String(36), nullable=False),
    Column("updated_by", Integer, ForeignKey("users.id", ondelete="SET NULL")),
    Column("created_at", Stamp, nullable=False),
    Column("updated_at", Stamp, nullable=False),
    Index("ix_annotations_task_user", "task_id", "completed_by"),
    Index("ix_annotations_project", "project_id", "task_id"),
    # a project's gold answers, for the gold tasks of the labelers' streams (migration 0014)
    Index(
        "ix_annotations_gold",
        "project_id",
        "task_id",
        sqlite_where=text("ground_truth = 1"),
        postgresql_where=text("ground_truth"),
    ),
    # A client's idempotency key: a retried submit finds its first annotation instead of adding one.
    UniqueConstraint("unique_id", name="uq_annotations_unique_id"),
    sqlite_autoincrement=True,  # ids are never reused (migration 0010)
)

predictions = Table(
    "predictions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("task_id", Integer, ForeignKey("tasks.id", ondelete="CASCADE"), nullable=False),
    Column("project_id", Integer, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("result", Text, nullable=False, default="[]"),
    Column("score", Float),
    Column("model_version", Text, nullable=False, default=""),
    Column("created_at", Stamp, nullable=False),
    Column("updated_at", Stamp, nullable=False),
    Index("ix_predictions_task", "task_id"),
    sqlite_autoincrement=True,  # ids are never reused (migration 0010)
)

# The answer order a labeler was handed a task in (projects that randomize it), so the page shows
# it, the answer records it, and the orders balance across the task's labelers and each labeler's
# tasks. One per labeler and task; ``kind`` says why it was handed out.
assignments = Table(
    "assignments",
    metadata,
    Column("task_id", Integer, ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("project_id", Integer, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("reversed", Boolean, nullable=False),  # the second answer shown first
    Column("kind", String(8), nullable=False, default="label"),
    Column("created_at", Stamp, nullable=False),
    Index("ix_assignments_user", "project_id", "user_id"),
)

# A claim on an open slot of a task, so two labelers never get the last slot at once.
task_locks = Table(
    "task_locks",
    metadata,
    Column("task_id", Integer, ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("project_id", Integer, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("expires_at", Float, nullable=False),
    Index("ix_task_locks_user", "project_id", "user_id"),
)

exports = Table(
    "exports",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("project_id", Integer, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("title", String(200), nullable=False, default=""),
    Column("status", String(16), nullable=False),
    Column("path", Text),
    Column("md5", String(32)),
    Column("task_count", Integer, nullable=False, default=0),
    Column("created_by", Integer, ForeignKey("users.id", ondelete="SET NULL")),
    Column("created_at", Stamp, nullable=False),
    Column("finished_at", Stamp),
    Column("heartbeat", Float),  # epoch seconds of the builder's last stored piece (migration 0011)
    Column("error", Text),  # why a failed snapshot failed
    sqlite_autoincrement=True,  # ids are never reused (migration 0010)
)

# The bytes of an export snapshot, in pieces of about 1 MiB, so that every server process (on any
# host) can serve any snapshot: nothing lives on one machine's disk.
export_chunks = Table(
    "export_chunks",
    metadata,
    Column("export_id", Integer, ForeignKey("exports.id", ondelete="CASCADE"), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("data", LargeBinary, nullable=False),
)

# Browser sessions: the cookie holds a random key, only its SHA-256 is stored.
sessions = Table(
    "sessions",
    metadata,
    Column("key_hash", String(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", Stamp, nullable=False),
    Column("expires_at", Float, nullable=False),
)

# Failed logins, per account and per client address, for rate limiting (shared by all processes).
login_failures = Table(
    "login_failures",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("key", String(300), nullable=False),
    Column("at", Float, nullable=False),
    Index("ix_login_failures_key", "key", "at"),
    sqlite_autoincrement=True,  # ids are never reused (migration 0010)
)

# A labeler's unfinished work on a task (or on one of their annotations), seen by them only.
drafts = Table(
    "drafts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("task_id", Integer, ForeignKey("tasks.id", ondelete="CASCADE"), nullable=False),
    Column("project_id", Integer, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("annotation_id", Integer, ForeignKey("annotations.id", ondelete="CASCADE")),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("result", Text, nullable=False, default="[]"),
    Column("lead_time", Float),
    Column("was_postponed", Boolean, nullable=False, default=False),
    Column("created_at", Stamp, nullable=False),
    Column("updated_at", Stamp, nullable=False),
    Index("ix_drafts_task_user", "task_id", "user_id"),
    sqlite_autoincrement=True,  # ids are never reused (migration 0010)
)

# Data Manager views (tabs): a title, filters and ordering, as Label Studio stores them in ``data``.
dm_views = Table(
    "dm_views",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("project_id", Integer, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="SET NULL")),
    Column("data", Text, nullable=False, default="{}"),
    Column("order", Integer),
    Column("created_at", Stamp, nullable=False),
    Column("updated_at", Stamp, nullable=False),
    Index("ix_dm_views_project", "project_id"),
    sqlite_autoincrement=True,  # ids are never reused (migration 0010)
)

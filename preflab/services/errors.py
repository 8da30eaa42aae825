"""What a service refuses, independent of HTTP: the API maps each class to a status
(``preflab.api.errors``), the CLI to a message. A refusal always leaves the data unchanged."""

from __future__ import annotations


class ServiceError(Exception):
    """A refused request; ``status`` is the HTTP status the API answers with."""

    status = 400

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


class NotFound(ServiceError):
    status = 404

    def __init__(self, message: str = "Not found."):
        super().__init__(message)


class Forbidden(ServiceError):
    status = 403

    def __init__(self, message: str = "You do not have permission to perform this action."):
        super().__init__(message)


class Conflict(ServiceError):
    status = 409


class Invalid(ServiceError):
    """A 400 in Label Studio's shape: ``{"validation_errors": {field: [message]}}``."""

    def __init__(self, field: str, message: str):
        self.field = field
        super().__init__(message)

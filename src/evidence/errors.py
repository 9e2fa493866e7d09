"""The named errors of evidence. Each message holds the offending value and the next step."""

from __future__ import annotations


class EvidenceError(Exception):
    """Base class: anything the CLI reports as one clear message and a non-zero exit."""

    exit_code = 1


class ConfigError(EvidenceError):
    """A setting is missing, unknown or invalid."""

    exit_code = 2


class NCBIError(EvidenceError):
    """E-utilities answered with an error (HTTP status, in-body error, or unusable body)."""

    exit_code = 3

    def __init__(self, message: str, *, url: str | None = None, status: int | None = None,
                 retryable: bool = False) -> None:
        super().__init__(message)
        self.url = url
        self.status = status
        self.retryable = retryable


class QueryError(NCBIError):
    """PubMed rejected the search query itself (a retry will not help)."""


class BadInputError(EvidenceError):
    """A PubMed XML file (or a response body) cannot be read as PubMed records."""

    exit_code = 4


class WarehouseError(EvidenceError):
    """The warehouse file cannot be written, published or read."""

    exit_code = 5


class RunLockedError(WarehouseError):
    """Another run holds the warehouse lock."""

    exit_code = 6

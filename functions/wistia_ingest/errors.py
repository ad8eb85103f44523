"""One exception class per way a Wistia API call can fail, grouped by what the caller should do about it.

`RetriableAPIError`s are transient (rate limits, 5xx, network trouble, garbled bodies): the client retries
them itself and only raises one once its retry budget is spent, with the attempt count in the message.
`FatalAPIError`s are answers that will not change on retry (bad token, missing resource, rejected
parameters, a pagination guard): the client raises them at once. `ConfigError` means the client cannot
even start. Messages never contain the API token; it only ever travels in the Authorization header.
"""

from __future__ import annotations


class WistiaError(Exception):
    """Base of every error raised by the Wistia ingestion client."""

    def __init__(
        self,
        message: str,
        *,
        method: str | None = None,
        path: str | None = None,
        status_code: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.method = method
        self.path = path
        self.status_code = status_code

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(method={self.method!r}, path={self.path!r}, "
            f"status_code={self.status_code!r}, message={self.message!r})"
        )


class ConfigError(WistiaError):
    """The client configuration is missing or invalid; fix the environment or the arguments."""


class FatalAPIError(WistiaError):
    """The API gave an answer that will not change on retry; the run must stop or skip this item."""


class AuthenticationError(FatalAPIError):
    """401/403: the token is missing, wrong, revoked, or lacks the read permission."""


class NotFoundError(FatalAPIError):
    """404: the media, visitor or event does not exist (or no longer does, or is outside retention)."""


class InvalidRequestError(FatalAPIError):
    """400/422: the API rejected the parameters; the message carries the server's explanation."""


class UnexpectedStatusError(FatalAPIError):
    """Any other non-2xx answer that is not retriable (other 4xx, 3xx): a contract change to look into."""


class PayloadValidationError(FatalAPIError):
    """Valid JSON of the right type that the typed models cannot read (e.g. a media without hashed_id).

    Re-reading returns the same payload, so it is not retried; the raw-page methods still return it.
    """


class PaginationLimitError(FatalAPIError):
    """`max_pages` full pages were read and the last was full: stopping there would land incomplete data."""


class RetriableAPIError(WistiaError):
    """A transient failure; retried with backoff. Raised only after the retry budget is exhausted."""

    def __init__(
        self,
        message: str,
        *,
        method: str | None = None,
        path: str | None = None,
        status_code: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, method=method, path=path, status_code=status_code)
        self.retry_after = retry_after
        self.attempts: int | None = None
        self.elapsed_seconds: float | None = None
        self.exhausted = False
        self.giveup_reason: str | None = None

    def mark_exhausted(self, *, attempts: int, elapsed_seconds: float, reason: str) -> None:
        """Rewrite the message once retries are spent, so the caller sees how hard the client tried."""
        if self.exhausted:
            return
        self.attempts = attempts
        self.elapsed_seconds = elapsed_seconds
        self.exhausted = True
        self.giveup_reason = reason
        noun = "attempt" if attempts == 1 else "attempts"
        self.message = (
            f"gave up after {attempts} {noun} over {elapsed_seconds:.1f} s ({reason}); {self.message}"
        )
        self.args = (self.message,)


class RateLimitedError(RetriableAPIError):
    """429: the account's request budget (about 600/min, shared by every caller) is spent for now."""


class ServiceUnavailableError(RetriableAPIError):
    """503: Wistia is overloaded or in maintenance (older rate limiting also answered 503 + Retry-After)."""


class ServerError(RetriableAPIError):
    """Any other 5xx: a server-side fault that usually clears on retry."""


class TransientNetworkError(RetriableAPIError):
    """Connect/read timeout, refused or reset connection, or a body cut short in transit."""


class MalformedResponseError(RetriableAPIError):
    """A 2xx whose body is not JSON, or not the JSON shape promised (e.g. an object where a page is due)."""

"""The openzone error tree: one class per DataZone exception, raised by services, rendered by wire."""


class OpenzoneError(Exception):
    """Base of every error a caller may see; `code` is DataZone's exception name."""

    code = "InternalServerException"
    status = 500

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class ValidationError(OpenzoneError):
    code, status = "ValidationException", 400


class UnauthorizedError(OpenzoneError):
    code, status = "UnauthorizedException", 401


class ServiceQuotaExceededError(OpenzoneError):
    code, status = "ServiceQuotaExceededException", 402


class AccessDeniedError(OpenzoneError):
    code, status = "AccessDeniedException", 403


class NotFoundError(OpenzoneError):
    code, status = "ResourceNotFoundException", 404


class ConflictError(OpenzoneError):
    code, status = "ConflictException", 409


class ThrottlingError(OpenzoneError):
    code, status = "ThrottlingException", 429


class InternalError(OpenzoneError):
    code, status = "InternalServerException", 500


class AuthenticationError(OpenzoneError):
    """A request whose SigV4 credentials are missing or wrong (AWS's own error names)."""

    status = 403

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code

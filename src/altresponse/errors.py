"""The one root error class; each subclass also inherits the builtin it resembles."""


class AltResponseError(Exception):
    """Root of every error altresponse raises on purpose; the CLI prints it as one line."""


class InputError(AltResponseError, ValueError):
    """A user's input file or value is malformed (names the file, row or field)."""


class ConfigError(AltResponseError, ValueError):
    """A data file of rules (adapter, crosswalk, program) is invalid (names file, line, field)."""


class NotFoundError(AltResponseError, LookupError):
    """A named thing (source adapter, program, file) does not exist."""

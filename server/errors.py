"""One family of errors for all of Lantern.

    LanternError                 base: a message a person can act on
    ├── PackError                a content pack is unusable (names the file and the reason)
    ├── QuizFormatError          a GIFT/Aiken/YAML quiz file is malformed (names the line)
    ├── CaptionError             a WebVTT file is malformed
    ├── InvalidInput             a form or request carries bad data
    ├── NotFound                 the thing asked for does not exist (or is not yours to see)
    ├── Forbidden                signed in, but not allowed
    ├── SignInRequired           not signed in
    ├── TooManyAttempts          throttled
    ├── StorageFull              the disk is nearly full; writes are refused
    ├── TooLarge                 an upload is bigger than we accept (413)
    └── SyncError                a sync message or bundle is rejected

Domain code raises these; `server.web.errors` turns each into one helpful page (or JSON).
"""


class LanternError(Exception):
    """Base class: `str(err)` is one plain sentence for the person who caused or can fix it.

    Mark the sentence with `N_` and pass its variable parts as keywords, e.g.
    `NotFound(N_("“%(title)s” is locked."), title=title)`: `message` is the English sentence (for the
    command line, sync and logs), and the page that shows the error translates `template` with `params`
    when it is rendered (`server.i18n.localized`). Errors are translated where they are shown, never where
    they are raised, so this module imports nothing of Lantern's.
    """

    status = 400

    def __init__(self, message: str, **params):
        text = message % params if params else message
        super().__init__(text)
        self.template = message
        self.params = params
        self.message = text


class PackError(LanternError):
    """A content pack failed verification or import; nothing was changed."""

    status = 422

    def __init__(self, message: str, path: str | None = None):
        super().__init__(f"{path}: {message}" if path else message)
        self.path = path
        self.reason = message


class QuizFormatError(LanternError):
    """A quiz file could not be parsed; `line` is 1-based when known."""

    status = 422

    def __init__(self, message: str, line: int | None = None, path: str | None = None):
        where = ""
        if path:
            where = path
        if line is not None:
            where = f"{where} line {line}" if where else f"line {line}"
        super().__init__(f"{where}: {message}" if where else message)
        self.line = line
        self.path = path
        self.reason = message


class CaptionError(LanternError):
    """A WebVTT caption file is malformed."""

    status = 422


class InvalidInput(LanternError):
    """A form or request carries data we cannot accept; `field` names the form field if any."""

    status = 400

    def __init__(self, message: str, field: str | None = None, **params):
        super().__init__(message, **params)
        self.field = field


class NotFound(LanternError):
    status = 404


class Forbidden(LanternError):
    status = 403


class SignInRequired(LanternError):
    status = 401


class TooManyAttempts(LanternError):
    status = 429


class StorageFull(LanternError):
    status = 507


class TooLarge(LanternError):
    """An upload is bigger than we accept; nothing was stored."""

    status = 413


class SyncError(LanternError):
    status = 400

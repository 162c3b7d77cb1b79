"""Journal failures, each with a message a responder can act on at 3 a.m."""


class JournalError(Exception):
    """Base: the message is one line, fit for stderr."""


class JournalCorrupt(JournalError):
    pass


class JournalTooNew(JournalError):
    pass


class JournalLocked(JournalError):
    pass


class JournalReadOnly(JournalError):
    pass


class JournalFull(JournalError):
    pass


class SecretRefused(JournalError):
    """An entry looked like it carried a credential; nothing was written."""


class JournalConflict(JournalError):
    """Another process claimed the same id first (an incident or task id); nothing was written."""


class JournalUnreachable(JournalError):
    """The shared journal's database cannot be reached right now; the console spools and retries."""


class JournalMisconfigured(JournalError):
    """The shared journal cannot be used as configured (TLS, sign-in, host name, database, schema, grants).

    Retrying will not help and spooling would keep entries under a journal nobody reaches: refuse, say why.
    """

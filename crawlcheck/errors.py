"""Exceptions for caller and configuration mistakes; website content never raises.

Our exception hierarchy::

    CrawlcheckError
    ├── UsageError          bad command-line argument or input file (exit code 2)
    ├── RuleFileError       a rules YAML file is malformed (names the file and the key)
    ├── SiteDefinitionError a demo-web site definition is malformed (names the file and the
    │                       key; exit code 3: ``demo`` reads only bundled ones, so a bug)
    ├── CrawlWorkerError    the crawl's child process died: a bug (exit code 3)
    └── Interrupted         a run stopped by SIGINT/SIGTERM, saying what it kept (130/143)

    Terminated (a BaseException, like KeyboardInterrupt): SIGTERM while the CLI runs

Document any addition here and in docs/cli.md.
"""

from __future__ import annotations


class CrawlcheckError(Exception):
    """Base class of every error crawlcheck raises on purpose."""

    #: The process exit code the CLI uses for this error.
    exit_code = 2


class UsageError(CrawlcheckError, ValueError):
    """Raised when an argument, option or input file given by the user is unusable."""


class RuleFileError(CrawlcheckError, ValueError):
    """Raised when a rules file is malformed; the message names the file and the key."""

    def __init__(self, path: str, key: str, message: str) -> None:
        super().__init__(f"{path}: {key}: {message}")
        self.path = path
        self.key = key


class SiteDefinitionError(CrawlcheckError, ValueError):
    """Raised when a site definition of the demo web is malformed; names the file and the key.

    ``crawlcheck demo`` reads only the definitions bundled with it, so there this is a bug
    (exit code 3); the tests' fixture web raises it for its own definitions too.
    """

    exit_code = 3

    def __init__(self, source: str, key: str, message: str) -> None:
        super().__init__(f"{source}: {key}: {message}")
        self.source = source
        self.key = key


class CrawlWorkerError(CrawlcheckError, RuntimeError):
    """Raised when the crawl's child process dies before finishing (a crawlcheck bug).

    Nothing a website does raises it: a site's failures are values in its results.
    """

    exit_code = 3


class Interrupted(CrawlcheckError):
    """Raised when a run was stopped by a signal after saving what it had finished.

    The message says what was kept and where (e.g. ``audit``'s checkpoint); the exit code
    is the shell's for the signal: 130 for SIGINT, 143 for SIGTERM.
    """

    def __init__(self, message: str, exit_code: int = 130) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class Terminated(BaseException):
    """Raised in the main thread on SIGTERM while the CLI runs (exit code 143).

    A BaseException, like KeyboardInterrupt, so that no ``except Exception`` swallows it.
    """

    exit_code = 143

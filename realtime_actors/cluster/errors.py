"""Typed errors of the cluster extra."""

from __future__ import annotations

from ..errors import RealtimeError


class ClusterError(RealtimeError):
    """Base class of the cluster's errors."""


class HostUnavailableError(ClusterError):
    """No host answered for the session within the fail-over timeout (the call was not
    carried out, or it is not known whether it was: see the message)."""


class HostFencedError(ClusterError):
    """This host lost its lease: it stopped its sessions and takes no more calls."""


class HostDrainingError(ClusterError):
    """This host is draining: it takes no new sessions."""


class HostFullError(ClusterError):
    """This host runs as many sessions as its capacity allows."""


class NoHostError(ClusterError):
    """No host can take a new session (none running, all full or draining)."""


class UnknownSessionError(ClusterError):
    """The host does not run that session (it moved, ended, or is still being resumed)."""

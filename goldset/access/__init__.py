"""Who is acting, what each role may do, and the audit log of what was done.

Owns: the acting user's identity (``_identity``), the role matrix (``_roles``) and the
append-only audit log (``_audit``) and its merge at a git merge (``_audit_merge``). The write path in :mod:`goldset.workspace` is the one
caller that authorizes and records writes; verbs never call these to write.
"""

from __future__ import annotations

from goldset.access import _audit as audit
from goldset.access import _audit_merge as audit_merge
from goldset.access import _roles as roles
from goldset.access import _users as users
from goldset.access._identity import current_user

__all__ = ["audit", "audit_merge", "current_user", "roles", "users"]

"""Server-side sessions for Flask, in memory.

The browser only ever holds a random session id (cookie ``acme_py_sid``, HttpOnly, Secure,
SameSite=Lax); tokens, the pending sign-in and the user's claims stay in this process. Every
request of one browser sees the same session object, so a token refreshed by one request is
used by the next one straight away. Run a single process (or swap the store for Redis) when
scaling out.
"""

import secrets
import threading
import time

from flask.sessions import SessionInterface, SessionMixin
from werkzeug.datastructures import CallbackDict

COOKIE_NAME = 'acme_py_sid'
SESSION_TTL_SECONDS = 8 * 3600


class ServerSideSession(CallbackDict, SessionMixin):
    def __init__(self, initial=None, sid=None):
        def on_update(session):
            session.modified = True

        super().__init__(initial, on_update)
        self.sid = sid
        self.created_at = time.time()
        self.modified = False
        self.renew = False
        # One token refresh at a time per browser session (see tenant_api.TenantApi).
        self.lock = threading.RLock()

    def regenerate(self):
        """Give the session a new id on the next response (after sign-in: no session fixation)."""
        self.renew = True
        self.modified = True


class ServerSideSessionInterface(SessionInterface):
    def __init__(self):
        self._sessions = {}
        self._lock = threading.Lock()

    def _sweep(self, now):
        for sid in [s for s, v in self._sessions.items() if now - v.created_at > SESSION_TTL_SECONDS]:
            self._sessions.pop(sid, None)

    def open_session(self, app, request):
        sid = request.cookies.get(COOKIE_NAME)
        now = time.time()
        with self._lock:
            self._sweep(now)
            session = self._sessions.get(sid) if sid else None
        return session if session is not None else ServerSideSession()

    def save_session(self, app, session, response):
        cookie = {
            'path': '/',
            'httponly': True,
            'secure': True,
            'samesite': 'Lax',
        }
        if not session:
            if session.sid is not None:
                with self._lock:
                    self._sessions.pop(session.sid, None)
                session.sid = None
                response.delete_cookie(COOKIE_NAME, **cookie)
            return
        if session.sid is not None and not session.renew:
            return
        with self._lock:
            if session.sid is not None:
                self._sessions.pop(session.sid, None)
            session.sid = secrets.token_urlsafe(32)
            session.renew = False
            session.created_at = time.time()
            self._sessions[session.sid] = session
        response.set_cookie(COOKIE_NAME, session.sid, max_age=SESSION_TTL_SECONDS, **cookie)

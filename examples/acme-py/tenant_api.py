"""Calls to the user's SuperOffice tenant (NetServer REST API), done the way SuperOffice's best
practices ask: check the tenant state first (cached until ``ValidUntil``, at most a minute), use
the ``webapi_url`` claim as the base, refresh the access token when it expires or once on a 401,
back off on 429.
"""

import logging
import math
import threading
import time
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from urllib.parse import quote, urljoin, urlsplit

import requests
from authlib.integrations.base_client import OAuthError

from superid import SignInError

HTTP_TIMEOUT_SECONDS = 15
MAX_WAIT_SECONDS = 5
# Refresh this long before the access token's expiry time (at most a tenth of its lifetime)
# instead of waiting for the 401.
EXPIRY_MARGIN_SECONDS = 60

log = logging.getLogger('acme-py')


class TenantUnavailable(Exception):
    """The tenant is not running (maintenance, suspended, ...); no API call was made."""

    def __init__(self, state):
        super().__init__(f'tenant state {state}')
        self.state = state


class Busy(Exception):
    """SuperOffice throttles this user; try again after ``retry_after`` seconds."""

    def __init__(self, retry_after):
        super().__init__(f'throttled, retry after {retry_after} s')
        self.retry_after = retry_after


class SessionExpired(Exception):
    """The session's credentials are no longer accepted and could not be renewed."""


class ApiError(Exception):
    def __init__(self, status):
        super().__init__(f'SuperOffice API answered {status}')
        self.status = status


def retry_after_seconds(header):
    if header is None:
        return 30
    header = header.strip()
    if header.isdigit():
        return int(header)
    try:
        when = parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return 30
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0, math.ceil(when.timestamp() - time.time()))


def stored_tokens(token, previous_refresh_token=None):
    """What the session keeps of a token endpoint response (SuperID does not rotate refresh tokens)."""
    try:
        lifetime = float(token.get('expires_in'))
    except (TypeError, ValueError):
        lifetime = None
    return {
        'access_token': token['access_token'],
        'refresh_token': token.get('refresh_token') or previous_refresh_token,
        'lifetime': lifetime,
        'expires_at': time.time() + lifetime if lifetime else None,
    }


def _parse_time(value):
    try:
        return datetime.fromisoformat(value).timestamp()
    except (TypeError, ValueError):
        return None


def _origin(url):
    parts = urlsplit(url)
    return f'{parts.scheme}://{parts.netloc}'


class TenantApi:
    def __init__(self, settings, superid):
        self.settings = settings
        self.superid = superid
        self.http = requests.Session()
        self.http.headers['Accept'] = 'application/json'
        self._states = {}
        # Tenants SuperOffice told us (state-change webhook) are suspended or deleted.
        self._stopped = {}
        self._lock = threading.Lock()

    # Tenant state -----------------------------------------------------------------------------

    def tenant_status(self, ctx, fresh=False):
        cached = self._states.get(ctx)
        if not fresh and cached is not None and cached[1] > time.time():
            return cached[0]
        try:
            res = self.http.get(
                f'{self.settings.superoffice_url}/api/state/{quote(ctx, safe="")}',
                timeout=HTTP_TIMEOUT_SECONDS,
            )
            status = res.json() if res.ok else None
        except (requests.RequestException, ValueError):
            status = None
        if not isinstance(status, dict):
            log.warning('tenant.state.unavailable ctx=%s', ctx)
            raise TenantUnavailable('Unknown')
        now = time.time()
        valid_until = _parse_time(status.get('ValidUntil'))
        until = now if valid_until is None else min(valid_until, now + self.settings.state_cache_seconds)
        with self._lock:
            self._states[ctx] = (status, until)
        log.info('tenant.state ctx=%s state=%s', ctx, status.get('State'))
        return status

    def notify(self, ctx, change):
        """A validated state-change notification: stop or resume calling the tenant."""
        with self._lock:
            self._states.pop(ctx, None)
            if change in ('Suspend', 'Delete'):
                self._stopped[ctx] = 'Suspended' if change == 'Suspend' else 'Deleted'
            elif change == 'Resume':
                self._stopped.pop(ctx, None)

    def _base(self, user, fresh):
        """Where to send API calls for this user; raises TenantUnavailable."""
        ctx = user['ctx']
        stopped = self._stopped.get(ctx)
        if stopped:
            raise TenantUnavailable(stopped)
        status = self.tenant_status(ctx, fresh)
        if not status.get('IsRunning'):
            raise TenantUnavailable(str(status.get('State') or 'Unknown'))
        # The claim is the base; after a tenant move the state API names the new endpoint.
        endpoint = status.get('Endpoint')
        if isinstance(endpoint, str) and urlsplit(endpoint).scheme == 'https':
            endpoint = endpoint.rstrip('/')
            if _origin(endpoint) != _origin(user['webapi_url']):
                return f'{endpoint}/api/'
        return user['webapi_url']

    # Tokens -----------------------------------------------------------------------------------

    def _refresh(self, session, stale_access_token=None):
        """New access token from the refresh token. With ``stale_access_token``, skips the grant if
        another request of this session already replaced that token."""
        ctx = session['user']['ctx']
        with session.lock:
            tokens = session['tokens']
            if stale_access_token is not None and tokens['access_token'] != stale_access_token:
                return
            refresh_token = tokens.get('refresh_token')
            if not refresh_token:
                raise SessionExpired('no refresh token')
            try:
                new = self.superid.refresh(refresh_token)
                if new.get('id_token'):
                    claims = self.superid.validate_id_token(new, nonce=None)
                    user = session['user']
                    if claims['sub'] != user['sub'] or claims['ctx'] != user['ctx']:
                        raise SessionExpired('refreshed identity differs')
            except (OAuthError, SignInError) as err:
                log.warning('session.refresh.refused ctx=%s error=%s', ctx, type(err).__name__)
                raise SessionExpired('refresh refused') from err
            except (requests.RequestException, ValueError) as err:
                log.warning('session.refresh.failed ctx=%s error=%s', ctx, type(err).__name__)
                raise ApiError(502) from err
            session['tokens'] = stored_tokens(new, refresh_token)
            log.info('session.refreshed ctx=%s', ctx)

    def _expiring(self, tokens):
        expires_at, lifetime = tokens.get('expires_at'), tokens.get('lifetime')
        if not isinstance(expires_at, (int, float)) or not isinstance(lifetime, (int, float)):
            return False  # no known lifetime: the 401 tells
        return expires_at - min(EXPIRY_MARGIN_SECONDS, lifetime / 10) <= time.time()

    # Calls ------------------------------------------------------------------------------------

    def get(self, session, path):
        """GET ``path`` (e.g. ``v1/User/currentPrincipal``) as the signed-in user of ``session``."""
        user = session['user']
        busy_until = session.get('busy_until', 0)
        if busy_until > time.time():
            # Still inside the Retry-After of an earlier 429 for this user: do not call.
            raise Busy(math.ceil(busy_until - time.time()))
        base = self._base(user, fresh=False)
        refreshed = waited = rerouted = False
        while True:
            if 'refresh-every-call' in self.settings.defects:
                # DEFECT refresh-every-call: "tokens expire, so always get a fresh one first".
                self._refresh(session)
            elif not refreshed and self._expiring(session['tokens']):
                self._refresh(session, session['tokens']['access_token'])
                refreshed = True
            access_token = session['tokens']['access_token']
            url = urljoin(base, path)
            try:
                res = self.http.get(
                    url,
                    headers={'Authorization': f'Bearer {access_token}'},
                    timeout=HTTP_TIMEOUT_SECONDS,
                )
            except requests.RequestException as err:
                log.warning('api.unreachable ctx=%s error=%s', user['ctx'], type(err).__name__)
                raise ApiError(0) from err
            if res.ok:
                try:
                    return res.json()
                except ValueError as err:
                    raise ApiError(res.status_code) from err
            log.warning(
                'api.error ctx=%s status=%s path=%s', user['ctx'], res.status_code, urlsplit(url).path
            )
            if res.status_code == 401:
                if refreshed:
                    raise SessionExpired('access token refused after a refresh')
                self._refresh(session, access_token)
                refreshed = True
                continue
            if res.status_code == 429:
                seconds = retry_after_seconds(res.headers.get('Retry-After'))
                if not waited and seconds <= MAX_WAIT_SECONDS:
                    waited = True
                    time.sleep(seconds)
                    continue
                session['busy_until'] = time.time() + seconds
                raise Busy(seconds)
            if res.status_code == 421 and not rerouted:
                # Wrong host: the tenant moved. Ask the state API again, once.
                rerouted = True
                base = self._base(user, fresh=True)
                continue
            if res.status_code == 503:
                # Maintenance or a state change since we last asked: say what the state API says.
                status = self.tenant_status(user['ctx'], fresh=True)
                state = status.get('State') if not status.get('IsRunning') else None
                raise TenantUnavailable(str(state or 'Unavailable'))
            raise ApiError(res.status_code)

"""Acme Py: a Flask web app for SuperOffice CRM Online users (confidential client, authorization
code flow with PKCE through Authlib). Start: ``python3 app.py`` with the variables listed in
README.md.
"""

import json
import logging
import signal
import sys
import time
from hmac import compare_digest
from urllib.parse import quote

from authlib.integrations.base_client import OAuthError
from flask import Flask, Response, redirect, render_template, request, session, url_for
from requests import RequestException
from werkzeug.exceptions import HTTPException
from werkzeug.serving import WSGIRequestHandler, make_server

from sessions import ServerSideSessionInterface
from settings import TENANT_PATTERN, ConfigError, load_settings
from superid import SignInError, SuperId
from tenant_api import ApiError, Busy, SessionExpired, TenantApi, TenantUnavailable, stored_tokens

log = logging.getLogger('acme-py')

# Contact list as the page shows it: primary-key order, a page of 10, only the fields shown.
CONTACT_SEARCH = 'v1/Contact?$select=contactId,name&$orderby=contactId&$top=10'
SIGN_IN_TTL_SECONDS = 10 * 60
# Searches start at this many typed characters (SuperOffice's certification asks for 3).
MIN_SEARCH_LENGTH = 3
# Tenant state-change notifications (REFERENCE.md 1.11), by ChangeType.
CHANGE_TYPES = ['Upgrade', 'BackupRestored', 'Suspend', 'Resume', 'Delete', 'Move']


def safe_return_url(value):
    """A same-origin path such as ``/contacts?x=1``: one leading slash, no scheme, no backslash."""
    if not isinstance(value, str) or not value.startswith('/') or value.startswith('//'):
        return '/'
    if '\\' in value or any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        return '/'
    return value


def create_app(settings):
    app = Flask(__name__)
    app.session_interface = ServerSideSessionInterface()
    app.config['MAX_CONTENT_LENGTH'] = 64 * 1024
    superid = SuperId(app, settings)
    tenant_api = TenantApi(settings, superid)
    quiet_failures = 'quiet-sign-in-failures' in settings.defects

    def error_page(status, title, reason, retry_login=False, headers=None):
        body = render_template('error.html', title=title, reason=reason, retry_login=retry_login)
        return Response(body, status=status, headers=headers or {}, mimetype='text/html')

    def signed_in_user():
        user = session.get('user')
        return user if isinstance(user, dict) and 'tokens' in session else None

    @app.after_request
    def security_headers(response):
        response.headers.setdefault('X-Content-Type-Options', 'nosniff')
        response.headers.setdefault('Referrer-Policy', 'no-referrer')
        response.headers.setdefault('X-Frame-Options', 'DENY')
        response.headers.setdefault('Cache-Control', 'no-store')
        return response

    @app.get('/healthz')
    def healthz():
        return Response('ok', mimetype='text/plain')

    # Settings for the home page's sign-in widget (only the home page loads this).
    @app.get('/home-config.js')
    def home_config():
        config = {'superOfficeUrl': settings.superoffice_url, 'clientId': settings.client_id}
        if 'secret-on-home-page' in settings.defects:
            # DEFECT secret-on-home-page: the widget gets "the SuperOffice settings", secret included.
            config['clientSecret'] = settings.client_secret
        return Response(f'window.acmeHome = {json.dumps(config)};\n', mimetype='application/javascript')

    @app.get('/')
    def home():
        return render_template('home.html', user=signed_in_user())

    @app.get('/login')
    def login():
        try:
            auth = superid.authorization_request()
        except (OAuthError, RequestException, RuntimeError, ValueError) as err:
            log.warning('signin.unavailable error=%s', type(err).__name__)
            return error_page(
                503, 'SuperOffice unavailable', 'Sign-in with SuperOffice is not available right now.'
            )
        session['signin'] = {
            'state': auth['state'],
            'nonce': auth['nonce'],
            'code_verifier': auth['code_verifier'],
            'return_url': safe_return_url(request.args.get('returnUrl')),
            'created_at': time.time(),
        }
        log.info('signin.start')
        return redirect(auth['url'], code=302)

    @app.get('/callback')
    def callback():
        pending = session.pop('signin', None)
        try:
            if request.args.get('error'):
                reason = (
                    'You did not approve Acme Py in SuperOffice.'
                    if request.args.get('error') == 'access_denied'
                    else 'SuperOffice could not sign you in.'
                )
                raise SignInError(reason, 'authorization error')
            if not isinstance(pending, dict) or time.time() - pending['created_at'] > SIGN_IN_TTL_SECONDS:
                raise SignInError(
                    'This sign-in attempt expired or was not started from Acme Py. Please try again.'
                )
            returned_state = request.args.get('state', '')
            # DEFECT skip-state leaves this comparison out ("state mismatches behind the load balancer").
            if 'skip-state' not in settings.defects and not compare_digest(
                returned_state.encode(), pending['state'].encode()
            ):
                raise SignInError('The answer from SuperOffice does not match your sign-in attempt.', 'state')
            code = request.args.get('code', '')
            if not code:
                raise SignInError('SuperOffice did not send an authorization code.')
            try:
                token = superid.exchange_code(code, pending['code_verifier'])
            except (OAuthError, RequestException, ValueError) as err:
                raise SignInError(
                    'SuperOffice did not accept the sign-in. Please try again.', 'code exchange'
                ) from err
            claims = superid.validate_id_token(token, nonce=pending['nonce'])
        except SignInError as err:
            # DEFECT quiet-sign-in-failures logs sign-in failures at DEBUG ("too noisy in production").
            log.log(logging.DEBUG if quiet_failures else logging.WARNING, 'signin.failed detail=%s', err)
            return error_page(400, 'Sign-in failed', err.reason, retry_login=True)
        except Exception as err:  # noqa: BLE001 - never a stack trace on the page
            level = logging.DEBUG if quiet_failures else logging.ERROR
            log.log(level, 'signin.failed error=%s', type(err).__name__)
            return error_page(
                400, 'Sign-in failed', 'Something went wrong while signing you in.', retry_login=True
            )

        session.clear()
        session.regenerate()
        session['user'] = {
            'sub': claims['sub'],
            'name': claims['email'] or claims['sub'],
            'ctx': claims['ctx'],
            'company_name': claims['company_name'],
            'webapi_url': claims['webapi_url'],
        }
        session['tokens'] = stored_tokens(token)
        log.info('signin.ok ctx=%s', claims['ctx'])
        return redirect(pending['return_url'], code=302)

    def api_failure(err):
        """The page for a failed API call (no technical details)."""
        if isinstance(err, TenantUnavailable):
            return error_page(
                503,
                'SuperOffice unavailable',
                f'Your SuperOffice tenant is unavailable ({err.state}). Please try again later.',
            )
        if isinstance(err, Busy):
            return error_page(
                503,
                'SuperOffice is busy',
                f'SuperOffice is busy, please try again in {err.retry_after} seconds.',
                headers={'Retry-After': str(err.retry_after)},
            )
        if isinstance(err, SessionExpired):
            session.clear()
            return error_page(401, 'Signed out', 'Your SuperOffice session has expired.', retry_login=True)
        if isinstance(err, ApiError) and err.status == 403:
            return error_page(403, 'No access', 'SuperOffice did not give you access to this information.')
        return error_page(
            502, 'SuperOffice error', 'SuperOffice could not answer right now. Please try again later.'
        )

    @app.get('/session')
    def session_page():
        """Am I signed in? Shows who, as SuperOffice knows the user (User/currentPrincipal)."""
        user = signed_in_user()
        if user is None:
            return Response(render_template('session.html', user=None), status=401, mimetype='text/html')
        notice = None
        try:
            principal = tenant_api.get(session, 'v1/User/currentPrincipal')
            principal = principal if isinstance(principal, dict) else {}
            name = principal.get('FullName') or principal.get('UserName') or user['name']
        except SessionExpired as err:
            return api_failure(err)
        except (TenantUnavailable, Busy, ApiError):
            # Still signed in; SuperOffice just cannot tell us more right now.
            name = user['name']
            notice = 'SuperOffice is not available right now, so only your sign-in name is shown.'
        return render_template('session.html', user=user, name=name, notice=notice)

    @app.get('/contacts')
    def contacts():
        user = signed_in_user()
        if user is None:
            return redirect(f"{url_for('login')}?returnUrl=%2Fcontacts", code=302)
        try:
            result = tenant_api.get(session, CONTACT_SEARCH)
        except (TenantUnavailable, Busy, SessionExpired, ApiError) as err:
            return api_failure(err)
        rows = result.get('value') if isinstance(result, dict) else None
        names = [str(row.get('name') or row.get('Name') or '') for row in rows or [] if isinstance(row, dict)]
        # DEFECT search-every-key: the search box asks from the first letter on.
        min_search = 1 if 'search-every-key' in settings.defects else MIN_SEARCH_LENGTH
        return render_template('contacts.html', user=user, contacts=names, min_search=min_search)

    @app.get('/contacts/search')
    def contact_search():
        """Companies whose name starts with q, as JSON, for the search box on the contacts page."""
        user = signed_in_user()
        if user is None:
            return {'error': 'signed out'}, 401
        q = request.args.get('q', '').strip()[:100]
        # Not for fewer than 3 characters, whoever asks (DEFECT search-every-key: from 1 on).
        if len(q) < (1 if 'search-every-key' in settings.defects else MIN_SEARCH_LENGTH):
            return {'error': f'type at least {MIN_SEARCH_LENGTH} characters'}, 400
        odata_filter = quote("name begins '%s'" % q.replace("'", "''"), safe="'")
        try:
            result = tenant_api.get(
                session, f'v1/Contact?$select=contactId,name&$filter={odata_filter}&$orderby=name&$top=20'
            )
        except SessionExpired:
            session.clear()
            return {'error': 'signed out'}, 401
        except (TenantUnavailable, Busy, ApiError):
            return {'error': 'SuperOffice could not answer right now'}, 503
        rows = result.get('value') if isinstance(result, dict) else None
        return {'names': [str(row.get('name') or row.get('Name') or '') for row in rows or [] if isinstance(row, dict)]}

    # Tenant state-change notifications from SuperOffice (the app's State Change URL).
    @app.post('/webhook')
    def webhook():
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return {'ok': False, 'reason': 'malformed notification'}, 400
        change_type, ctx = body.get('ChangeType'), body.get('ContextIdentifier')
        if (
            not isinstance(change_type, int)
            or isinstance(change_type, bool)
            or not 0 <= change_type < len(CHANGE_TYPES)
            or not isinstance(ctx, str)
            or not TENANT_PATTERN.match(ctx)
        ):
            return {'ok': False, 'reason': 'malformed notification'}, 400
        try:
            superid.validate_notification_token(body.get('Token'), ctx)
        except SignInError:
            log.warning('webhook.rejected ctx=%s', ctx)
            return {'ok': False, 'reason': 'invalid token'}, 401
        change = CHANGE_TYPES[change_type]
        tenant_api.notify(ctx, change)
        log.info('webhook.accepted ctx=%s type=%s', ctx, change)
        return {'ok': True}

    @app.get('/logout')
    def logout():
        session.clear()
        log.info('signout')
        try:
            return redirect(superid.logout_url(f'{settings.public_url}/'), code=302)
        except (OAuthError, RequestException, RuntimeError, ValueError):
            return redirect(url_for('home'), code=302)

    @app.errorhandler(HTTPException)
    def http_error(err):
        if err.code == 404:
            return error_page(404, 'Not found', 'There is no such page in Acme Py.')
        return error_page(err.code or 500, 'Something went wrong', 'Acme Py could not complete your request.')

    @app.errorhandler(Exception)
    def unexpected_error(err):
        log.error('error name=%s', type(err).__name__)
        return error_page(
            500, 'Something went wrong', 'Acme Py could not complete your request. Please try again later.'
        )

    return app


class RequestLog(WSGIRequestHandler):
    """Access log without query strings (the callback's carries the authorization code)."""

    def log_request(self, code='-', size='-'):
        path = self.path.split('?', 1)[0]
        self.log('info', '%s %s %s', self.command, path, getattr(code, 'value', code))


def main():
    logging.basicConfig(level=logging.INFO, format='%(name)s %(message)s', stream=sys.stderr)
    try:
        settings = load_settings()
    except ConfigError as err:
        print(f'acme-py: {err}', file=sys.stderr)
        sys.exit(2)
    app = create_app(settings)
    server = make_server(settings.host, settings.port, app, threaded=True, request_handler=RequestLog)

    def stop(_signum, _frame):
        log.info('stopping')
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log.info(
        'listening url=http://%s:%s defects=%s',
        settings.host,
        server.server_port,
        ','.join(sorted(settings.defects)) or 'none',
    )
    try:
        server.serve_forever()
    finally:
        server.server_close()


if __name__ == '__main__':
    main()

"""SuperID (SuperOffice's OpenID Connect provider) through Authlib's Flask client.

SuperOffice publishes its discovery document under ``/login`` while its issuer is the bare origin
(``https://sod.superoffice.com``), so the discovery URL is ``{SUPEROFFICE_URL}/login/.well-known/
openid-configuration`` and the issuer is checked against the configured SuperID URL once the
document is loaded. Authlib builds the authorization request (state, nonce, PKCE S256), redeems the
code and refreshes tokens (client_secret_post); its JOSE part validates id_tokens and state-change
notification tokens: RS256 signature against SuperID's JWKS (refetched when a token names an
unknown ``kid``), exact issuer, our client id as the only audience, lifetime, and for id_tokens
nonce, ``sub`` and ``iat``. The SuperOffice claims (tenant, ``webapi_url``) are checked on top.
"""

from urllib.parse import urlencode, urlsplit

import jwt as pyjwt
from authlib.integrations.flask_client import OAuth
from authlib.jose import JsonWebKey, JsonWebToken
from authlib.jose.errors import JoseError
from authlib.oidc.core import CodeIDToken

from settings import TENANT_PATTERN

CLAIM = 'http://schemes.superoffice.net/identity/'
CLOCK_SKEW_SECONDS = 60
HTTP_TIMEOUT_SECONDS = 10


class SignInError(Exception):
    """A sign-in that must not complete; ``reason`` is safe to show to the user."""

    def __init__(self, reason, detail=None):
        super().__init__(detail or reason)
        self.reason = reason


class SuperId:
    def __init__(self, app, settings):
        self.settings = settings
        self.oauth = OAuth(app)
        self.client = self.oauth.register(
            'superoffice',
            client_id=settings.client_id,
            client_secret=settings.client_secret,
            server_metadata_url=f'{settings.superoffice_url}/login/.well-known/openid-configuration',
            client_kwargs={
                'scope': 'openid',
                'code_challenge_method': 'S256',
                'token_endpoint_auth_method': 'client_secret_post',
                'default_timeout': HTTP_TIMEOUT_SECONDS,
            },
        )
        self._jwt = JsonWebToken(['RS256'])

    # Discovery ------------------------------------------------------------------------------

    def metadata(self):
        """SuperID's discovery document (loaded once by Authlib), checked against our SuperID URL."""
        metadata = self.client.load_server_metadata()
        issuer = self.settings.superoffice_url
        if metadata.get('issuer') != issuer:
            raise RuntimeError('SuperID discovery names an unexpected issuer')
        for endpoint in ('authorization_endpoint', 'token_endpoint', 'jwks_uri'):
            value = metadata.get(endpoint)
            if not isinstance(value, str) or _origin(value) != issuer:
                raise RuntimeError(f'SuperID discovery: {endpoint} is missing or not on {issuer}')
        return metadata

    # Authorization request and token endpoint ------------------------------------------------

    def authorization_request(self):
        """A new sign-in attempt: ``url`` to send the browser to, and state, nonce, code_verifier."""
        self.metadata()
        params = {}
        if self.settings.tenant:
            params['acr_values'] = f'tenant:{self.settings.tenant}'
        return self.client.create_authorization_url(self.settings.redirect_uri, **params)

    def exchange_code(self, code, code_verifier):
        self.metadata()
        return self.client.fetch_access_token(
            redirect_uri=self.settings.redirect_uri,
            grant_type='authorization_code',
            code=code,
            code_verifier=code_verifier,
        )

    def refresh(self, refresh_token):
        self.metadata()
        return self.client.fetch_access_token(grant_type='refresh_token', refresh_token=refresh_token)

    def logout_url(self, post_logout_redirect_uri):
        metadata = self.metadata()
        endpoint = metadata.get('end_session_endpoint') or f'{self.settings.superoffice_url}/login/logout'
        query = urlencode(
            {'client_id': self.settings.client_id, 'post_logout_redirect_uri': post_logout_redirect_uri}
        )
        return f'{endpoint}?{query}'

    # Token validation -------------------------------------------------------------------------

    def validate_id_token(self, token, nonce):
        """Validates the id_token of a token response; returns the user's SuperOffice claims.

        ``nonce`` is the value sent with the authorization request (None after a refresh grant).
        Raises SignInError on any failure.
        """
        if not isinstance(token.get('id_token'), str) or not token['id_token']:
            raise SignInError('SuperOffice did not send an identity token.')
        if 'skip-signature' in self.settings.defects:
            # DEFECT skip-signature: "it came over TLS from SuperOffice", so only the claims are read.
            claims = self._decode_without_signature(token['id_token'], nonce)
        else:
            claims = self._decode(
                token['id_token'],
                CodeIDToken,
                {
                    'nonce': nonce,
                    'client_id': self.settings.client_id,
                    'access_token': token.get('access_token'),
                },
                'The sign-in token from SuperOffice could not be verified.',
            )
        return self._superoffice_claims(claims)

    def _signing_key(self, header, _payload):
        """SuperID's key for this token, by ``kid``; the JWKS is fetched again when the ``kid`` is
        unknown (key rollover). Keys never come from the token's own headers (jku, x5u, jwk)."""
        kid = header.get('kid')
        for refetch in (False, True):
            keys = JsonWebKey.import_key_set(self.client.fetch_jwk_set(force=refetch))
            if kid is None and len(keys.keys) == 1:
                return keys.keys[0]
            try:
                return keys.find_by_kid(kid)
            except ValueError:
                if refetch:
                    raise
        raise ValueError('no key')

    def _decode(self, token, claims_cls, claims_params, reason):
        """RS256 signature against SuperID's JWKS, then the claims: exact issuer, our client id as
        the audience, lifetime with CLOCK_SKEW_SECONDS, and (ID tokens) nonce, sub, iat, azp."""
        self.metadata()
        try:
            claims = self._jwt.decode(
                token,
                key=self._signing_key,
                claims_cls=claims_cls,
                claims_options={
                    'iss': {'essential': True, 'value': self.settings.superoffice_url},
                    'aud': {'essential': True, 'value': self.settings.client_id},
                    'exp': {'essential': True},
                },
                claims_params=claims_params,
            )
            claims.validate(leeway=CLOCK_SKEW_SECONDS)
        except (JoseError, ValueError) as err:
            raise SignInError(reason, f'token rejected ({type(err).__name__})') from err
        self._only_for_us(claims, reason)
        return claims

    def _only_for_us(self, claims, reason):
        aud = claims.get('aud')
        if aud != self.settings.client_id and aud != [self.settings.client_id]:
            # Another audience besides ours (OIDC Core 3.1.3.7): not a token for this app alone.
            raise SignInError(reason, 'token rejected (aud)')

    def _decode_without_signature(self, id_token, nonce):
        try:
            claims = pyjwt.decode(
                id_token,
                options={
                    'verify_signature': False,
                    'verify_exp': True,
                    'verify_nbf': True,
                    'verify_iat': True,
                    'verify_aud': True,
                    'verify_iss': True,
                    'require': ['iss', 'aud', 'exp', 'iat', 'sub'],
                },
                audience=self.settings.client_id,
                issuer=self.settings.superoffice_url,
                leeway=CLOCK_SKEW_SECONDS,
            )
        except pyjwt.PyJWTError as err:
            raise SignInError(
                'The sign-in token from SuperOffice could not be verified.',
                f'id_token rejected ({type(err).__name__})',
            ) from err
        if nonce is not None and claims.get('nonce') != nonce:
            raise SignInError('The sign-in response does not belong to this sign-in attempt.', 'nonce')
        self._only_for_us(claims, 'The sign-in token from SuperOffice could not be verified.')
        return claims

    def _superoffice_claims(self, claims):
        def reject(reason, detail):
            raise SignInError(reason, f'id_token {detail}')

        sub = claims.get('sub')
        if not isinstance(sub, str) or not sub:
            reject('The sign-in token is malformed.', 'sub')
        ctx = claims.get(f'{CLAIM}ctx')
        if not isinstance(ctx, str) or not TENANT_PATTERN.match(ctx):
            reject('The sign-in token names no SuperOffice tenant.', 'ctx')
        if self.settings.tenant is not None and ctx != self.settings.tenant:
            reject('You signed in to a different SuperOffice tenant than this app serves.', 'ctx mismatch')
        webapi_url = claims.get(f'{CLAIM}webapi_url')
        if not isinstance(webapi_url, str) or urlsplit(webapi_url).scheme != 'https':
            reject('The app has no access to the SuperOffice web API for this tenant.', 'webapi_url')

        def text(name):
            value = claims.get(f'{CLAIM}{name}')
            return value if isinstance(value, str) else None

        return {
            'sub': sub,
            'ctx': ctx,
            'webapi_url': webapi_url if webapi_url.endswith('/') else f'{webapi_url}/',
            'email': text('email'),
            'company_name': text('company_name') or '',
            'is_administrator': text('is_administrator') == 'True',
        }

    def validate_notification_token(self, token, ctx):
        """Validates the token of a tenant state-change notification (signed by SuperID, iss = our
        SuperID URL, aud = our client id, ctx claim = the notified tenant). Raises SignInError."""
        if not isinstance(token, str) or not token:
            raise SignInError('The notification carries no token.')

        claims = self._decode(token, None, None, 'The notification token is not valid.')
        if claims.get(f'{CLAIM}ctx') != ctx:
            raise SignInError('The notification token names another tenant.')


def _origin(url):
    parts = urlsplit(url)
    return f'{parts.scheme}://{parts.netloc}'


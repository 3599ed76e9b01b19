"""Acme Py configuration: environment variables only, read once at start.

The same build runs against SuperOffice's development environment (SUPEROFFICE_URL =
https://sod.superoffice.com), stage, production, or the so-preflight emulator.
"""

import os
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

KNOWN_DEFECTS = ['skip-signature', 'skip-state', 'secret-on-home-page', 'refresh-every-call', 'search-every-key', 'quiet-sign-in-failures']

TENANT_PATTERN = re.compile(r'^Cust\d+$')


class ConfigError(Exception):
    """The environment does not describe a usable configuration (the message names the variable)."""


@dataclass(frozen=True)
class Settings:
    host: str
    port: int
    # Where browsers reach this app, without trailing slash; the redirect URI is public_url + '/callback'.
    public_url: str
    # SuperID, e.g. https://sod.superoffice.com: the issuer, without trailing slash.
    superoffice_url: str
    client_id: str
    client_secret: str
    # Optional: a single-tenant (custom) installation pins its tenant.
    tenant: str | None
    # Upper bound for caching the tenant state API answer, in seconds.
    state_cache_seconds: int
    defects: frozenset[str]

    @property
    def redirect_uri(self) -> str:
        return f'{self.public_url}/callback'


def _required(env, name):
    value = (env.get(name) or '').strip()
    if not value:
        raise ConfigError(f'{name} is not set (see examples/acme-py/README.md)')
    return value


def parse_defects(raw):
    defects = set()
    for name in (raw or '').split(','):
        name = name.strip()
        if not name:
            continue
        if name not in KNOWN_DEFECTS:
            raise ConfigError(f'DEFECTS: unknown defect "{name}"; known: {", ".join(KNOWN_DEFECTS)}')
        defects.add(name)
    return frozenset(defects)


def load_settings(env=None) -> Settings:
    env = os.environ if env is None else env
    try:
        port = int(env.get('PORT') or '3000')
    except ValueError:
        raise ConfigError('PORT must be a port number') from None
    if not 0 <= port <= 65535:
        raise ConfigError('PORT must be a port number')
    host = (env.get('HOST') or '').strip() or '127.0.0.1'

    superid = urlsplit(_required(env, 'SUPEROFFICE_URL'))
    if superid.scheme != 'https' or not superid.netloc:
        raise ConfigError('SUPEROFFICE_URL must be an https:// URL such as https://sod.superoffice.com')
    superoffice_url = f'{superid.scheme}://{superid.netloc}'

    tenant = (env.get('SUPEROFFICE_TENANT') or '').strip() or None
    if tenant is not None and not TENANT_PATTERN.match(tenant):
        raise ConfigError('SUPEROFFICE_TENANT must look like Cust12345')

    try:
        state_cache_seconds = min(int(env.get('TENANT_STATE_CACHE_SECONDS') or '60'), 300)
    except ValueError:
        raise ConfigError('TENANT_STATE_CACHE_SECONDS must be a number of seconds') from None

    return Settings(
        host=host,
        port=port,
        public_url=((env.get('PUBLIC_URL') or '').strip() or f'http://{host}:{port}').rstrip('/'),
        superoffice_url=superoffice_url,
        client_id=_required(env, 'SUPEROFFICE_CLIENT_ID'),
        client_secret=_required(env, 'SUPEROFFICE_CLIENT_SECRET'),
        tenant=tenant,
        state_cache_seconds=max(state_cache_seconds, 0),
        defects=parse_defects(env.get('DEFECTS')),
    )

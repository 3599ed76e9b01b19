/**
 * The redirect URLs and app URLs as declared (registered with SuperOffice): HTTPS, tight patterns,
 * hosted by the partner. Loopback http is accepted for the SOD (development) environment, where
 * SuperOffice's own tutorials use it, and for native apps everywhere (RFC 8252).
 */
import { test } from '../../fixtures/index.ts';
import { judgeTls } from '../../src/judge/index.ts';
import { probeTls, UNREACHABLE } from '../../src/target/tls-probe.ts';

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|\[::1\]|localhost)$/;
const FOREIGN_PROBES = [
  'https://evil.example.com/callback',
  'https://127.0.0.1.evil.example.com/callback',
  'http://attacker.test:8080/',
];

function hostOf(url: string): string | undefined {
  return URL.canParse(url) ? new URL(url).hostname : undefined;
}

test.describe('registered URLs', () => {
  test(
    "The app's HTTPS origins offer TLS 1.2 and refuse TLS 1.0 and 1.1",
    { tag: ['@TLS-1.2'] },
    async ({ preflight }) => {
      const { config } = preflight;
      const urls = [
        preflight.harness.baseURL,
        ...config.app.redirectUris,
        ...config.app.postLogoutRedirectUris,
      ].filter((u) => u && !u.startsWith('^') && URL.canParse(u));
      const origins = [...new Set(urls.map((u) => new URL(u).origin))];
      const secure = origins.filter((o) => o.startsWith('https:'));
      const finding = {
        rule: 'TLS-1.2',
        check: 'tls-versions',
        title: "The app's HTTPS origins offer TLS 1.2 and refuse TLS 1.0/1.1",
      };
      if (secure.length === 0) {
        await preflight.finding({
          ...finding,
          status: 'not-run',
          message: `not run: the app is served over http here (${origins.join(', ') || 'no URL'}), so its TLS is set where it is hosted: scan the hosted app (e.g. SSL Labs), or serve it over https:// locally (baseURL and redirect URLs) to have its TLS versions probed`,
        });
        return;
      }
      const observed = [];
      for (const origin of secure) observed.push({ origin, results: await probeTls(origin) });
      await preflight.finding({ ...finding, ...judgeTls(observed, UNREACHABLE) });
    },
  );

  test('Redirect URLs use HTTPS', { tag: ['@REDIRECT-HTTPS'] }, async ({ preflight }) => {
    const { config } = preflight;
    const native = config.app.type === 'native';
    const sod = config.superoffice.environment === 'sod';
    const bad: string[] = [];
    for (const uri of [...config.app.redirectUris, ...config.app.postLogoutRedirectUris]) {
      if (uri.startsWith('^')) {
        if (/^\^http:/.test(uri) && !/^\^http:\/\/(127|\\\[::1|localhost)/.test(uri.replace(/\\\./g, '.')))
          bad.push(uri);
        continue;
      }
      const u = new URL(uri);
      if (u.protocol === 'https:') continue;
      if (LOOPBACK.test(u.hostname) && (native || sod)) continue;
      bad.push(uri);
    }
    await preflight.finding({
      rule: 'REDIRECT-HTTPS',
      check: 'redirects-https',
      title: 'Every registered redirect URL is HTTPS (loopback allowed for native apps and SOD development)',
      status: bad.length ? 'fail' : 'pass',
      message: bad.length
        ? `not HTTPS: ${bad.join(', ')}`
        : `${config.app.redirectUris.length + config.app.postLogoutRedirectUris.length} URL(s) checked; TLS grade A itself needs an internet-facing test (SSL Labs)`,
    });
  });

  test(
    'Redirect patterns are anchored and narrow',
    { tag: ['@REDIRECT-REGEX-TIGHT'] },
    async ({ preflight }) => {
      const patterns = [
        ...preflight.config.app.redirectUris,
        ...preflight.config.app.postLogoutRedirectUris,
      ].filter((u) => u.startsWith('^'));
      const problems: string[] = [];
      for (const p of patterns) {
        const re = new RegExp(p);
        if (!p.endsWith('$')) problems.push(`${p} is not anchored with $`);
        if (/^\^https?:\/\/[^/]*\.\*/.test(p)) problems.push(`${p} allows any host (.* in the host part)`);
        const hostPart = p.replace(/^\^https?:\/\//, '').split(/[/:\\]/)[0] ?? '';
        if (/[^\\]\.[a-z0-9]/i.test(hostPart) && !/\\\./.test(hostPart))
          problems.push(`${p} has unescaped dots in the host`);
        for (const probe of FOREIGN_PROBES)
          if (re.test(probe)) problems.push(`${p} matches the foreign URL ${probe}`);
      }
      await preflight.finding({
        rule: 'REDIRECT-REGEX-TIGHT',
        check: 'patterns-tight',
        title: 'Redirect URL patterns are anchored, escape dots and match no foreign host',
        status: problems.length ? 'fail' : 'pass',
        message: problems.length
          ? problems.join('; ')
          : patterns.length
            ? `${patterns.length} pattern(s) are tight`
            : 'no patterns registered (exact URLs only)',
      });
    },
  );

  test(
    'App URLs are hosted by the partner over TLS',
    { tag: ['@TLS-ALL-HOSTED-CODE'] },
    async ({ preflight }) => {
      const { config } = preflight;
      const sod = config.superoffice.environment === 'sod';
      const urls = [
        config.app.baseURL,
        config.app.stateChangeUrl,
        ...config.app.redirectUris.filter((u) => !u.startsWith('^')),
      ].filter((u): u is string => !!u);
      const problems: string[] = [];
      for (const u of urls) {
        const host = hostOf(u) ?? '';
        if (/(^|\.)superoffice\.com$/i.test(host))
          problems.push(`${u} is under superoffice.com: SuperOffice hosts no partner code`);
        else if (
          new URL(u).protocol !== 'https:' &&
          !(LOOPBACK.test(host) && (sod || config.app.type === 'native'))
        )
          problems.push(`${u} is not HTTPS`);
      }
      await preflight.finding({
        rule: 'TLS-ALL-HOSTED-CODE',
        check: 'app-urls-https',
        title: "The app's URLs are HTTPS and not under superoffice.com",
        status: problems.length ? 'fail' : 'pass',
        message: problems.length
          ? problems.join('; ')
          : `${urls.length} URL(s) checked${sod ? ' (loopback http accepted for SOD development)' : ''}`,
      });
    },
  );
});

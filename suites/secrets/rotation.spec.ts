/**
 * SECRET-ROTATION-READY: the partner replaces the client secret in the Developer Portal (delete,
 * then create) and the app still holds the old one. SuperID refuses it from then on; a web app
 * meets that at the next sign-in's code exchange, a server-to-server app at its next system-user
 * login. The app must not retry in a tight loop, and should tell its operator (a line in its own
 * output, when the harness started it). Alone: the refusal holds for every flow while it lasts.
 */
import { GLOBAL_TAG, test, type FlowSession } from '../../fixtures/index.ts';
import { signedIn } from '../../fixtures/jobs.ts';
import { waitFor } from '../../fixtures/preflight.ts';
import type { Evidence } from '../../src/findings.ts';
import { judgeSecretRejected } from '../../src/judge/index.ts';

const CHECK = {
  rule: 'SECRET-ROTATION-READY',
  check: 'secret-replaced',
  title: 'A replaced client secret: no tight loop, and the operator is told',
};
const REPLACED = 'client secret replaced';
/** The app has answered once no refused request came for this long (bounded by QUIET_MAX_MS). */
const QUIET_MS = 2_000;
const QUIET_MAX_MS = 12_000;

test.describe('secret rotation', () => {
  test(
    'A replaced client secret is refused: no tight loop, the operator told',
    { tag: ['@SECRET-ROTATION-READY', GLOBAL_TAG] },
    async ({ preflight }) => {
      const { config, emulator } = preflight;
      if (config.app.type === 'native') {
        await preflight.finding({
          ...CHECK,
          status: 'not-run',
          message: 'not run: a native app is a public client and holds no secret to replace',
        });
        return;
      }
      const s2s = config.app.type === 'server-to-server';
      // A server-to-server app is installed first, while the secret still works.
      let installed: FlowSession | undefined;
      const cannot = (why: string) =>
        preflight.finding({ ...CHECK, status: 'error', message: `cannot judge: ${why}` });
      if (s2s) {
        const session = await signedIn(preflight, { user: 'admin' });
        if (typeof session === 'string') return cannot(session);
        installed = session;
      } else {
        const control = await preflight.control();
        if (!control.ok) return cannot(control.reason);
      }
      const app = await emulator.app(Number.MAX_SAFE_INTEGER);
      const start = emulator.recorder.lastSeq();
      const refused = async () => {
        await emulator.sync();
        return emulator.recorder.since(start).filter((e) => e.notes.includes(REPLACED));
      };
      let action: string;
      const evidence: Evidence[] = [];
      await emulator.setFaults({ secretReplaced: true });
      try {
        if (installed) {
          // The ticket the app holds ends too, so its next call needs a new system-user login.
          await emulator.expireTickets();
          action = `${preflight.apiActionLabel} (the scheduler's next run)`;
          await preflight.apiAction(installed);
        } else {
          action = 'a user signing in';
          const session = await preflight.newFlow({ superIdSession: true });
          await preflight.signIn(session);
          evidence.push(await preflight.screenshot(session, 'secret-replaced'));
        }
        // Until the app has stopped sending the refused secret for a while.
        let last = (await refused()).length;
        let quietSince = Date.now();
        await waitFor(async () => {
          const now = (await refused()).length;
          if (now !== last) {
            last = now;
            quietSince = Date.now();
          }
          return Date.now() - quietSince >= QUIET_MS;
        }, QUIET_MAX_MS);
      } finally {
        await emulator.setFaults({});
      }
      const attempts = await refused();
      const output = app.attached ? undefined : (await emulator.app(app.total)).output;
      evidence.push({
        kind: 'text',
        label: 'requests with the replaced secret',
        text: attempts.map((e) => `${e.time} ${e.method} ${e.path} -> ${e.status}`).join('\n') || '(none)',
      });
      if (output)
        evidence.push({ kind: 'text', label: 'app output meanwhile', text: output.slice(-40).join('\n') });
      await preflight.finding({
        ...CHECK,
        ...judgeSecretRejected({ refused: attempts.map((e) => Date.parse(e.time)), output, action }),
        evidence,
      });
    },
  );
});

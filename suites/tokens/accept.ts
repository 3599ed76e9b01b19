/**
 * The "must accept" id_token cases: a valid token, and legal but unusual shapes a strict client
 * still accepts. Shared by the id_token checks and the cached-keys checks (the kid-less token).
 */
import type { Preflight } from '../../fixtures/index.ts';
import type { IdTokenScenario } from '../../src/emulator/types.ts';

export interface AcceptCase {
  scenario: IdTokenScenario;
  rule: string;
  /** What the token has, e.g. `a valid RS256 id_token`. */
  title: string;
}

/**
 * Signs in with the case's token and judges by the session probe. Refusing a valid token is an
 * interoperability bug, not a hole: the plain valid token fails, the legal-but-unusual shapes warn.
 */
export async function judgeAccept(
  preflight: Preflight,
  c: AcceptCase,
  /** Why a refusal says nothing about the app, if it does not (then the case is not run). */
  refusalUnjudgeable?: () => string | undefined,
): Promise<void> {
  const check = `accept-${c.scenario}`;
  const title = `Accepts ${c.title}`;
  const session = await preflight.newFlow({ idToken: c.scenario, superIdSession: true });
  const signIn = await preflight.signIn(session);
  const evidence = preflight.tokenEvidence(session.flow.forged());
  if (signIn.outcome !== 'returned') {
    await preflight.finding({
      rule: c.rule,
      check,
      title,
      status: 'error',
      message: `cannot judge: ${signIn.detail}`,
      evidence,
    });
    return;
  }
  // A probe that gave no answer (timed out on a loaded machine) observed nothing: not a refusal.
  const signedIn = await preflight.accepted(session);
  if (signedIn === undefined) {
    await preflight.finding({
      rule: c.rule,
      check,
      title,
      status: 'error',
      message:
        'cannot judge: the session probe gave no answer, so neither a session nor a refusal was observed',
      evidence,
    });
    await session.context.close();
    return;
  }
  const unjudgeable = signedIn ? undefined : refusalUnjudgeable?.();
  if (unjudgeable) {
    await preflight.finding({
      rule: c.rule,
      check,
      title,
      status: 'not-run',
      message: `not run: ${unjudgeable}`,
    });
    await session.context.close();
    return;
  }
  await preflight.finding({
    rule: c.rule,
    check,
    title,
    status: signedIn ? 'pass' : c.scenario === 'valid' ? 'fail' : 'warn',
    message: signedIn ? 'the app signed the user in' : `the app refused ${c.title}`,
    evidence: signedIn ? evidence : [...evidence, await preflight.screenshot(session, check)],
  });
  await session.context.close();
}

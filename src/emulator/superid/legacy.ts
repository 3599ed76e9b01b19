/** The legacy SuperID sign-in (`/login/?app_id=...`), which SuperID answers with a refusal page. */
import type { Ctx } from './context.ts';
import { html } from './context.ts';
import { messagePage, requestId } from './pages.ts';

export function legacyLogin(ctx: Ctx): void {
  ctx.status = 400;
  html(
    ctx,
    messagePage(
      'Sign-in flow deprecated',
      'The legacy SuperID sign-in (/login/?app_id=...) is deprecated and not supported. Use OpenID Connect: /login/common/oauth/authorize.',
      requestId(),
    ),
  );
}

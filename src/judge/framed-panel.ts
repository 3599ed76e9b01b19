/**
 * AUTH-IFRAME-POPUP: a web panel opened, with no session, inside the tenant's web client (an
 * iframe). SuperID's sign-in refuses to be framed, so the panel must take the user to it in a
 * pop-up or the top window, not inside the frame.
 */
import type { Judgement } from './index.ts';

export interface FramedPanelObservation {
  panel: string;
  url: string;
  /** Navigations of the iframe (or its children) to SuperID. */
  framedSignIn: readonly string[];
  /** The top window went to SuperID. */
  topSignIn: boolean;
  /** A pop-up (or new tab) opened, and where it went. */
  popups: readonly string[];
  /** The sign-in control the harness clicked in the panel, if it needed one. */
  clicked: string | undefined;
  /** The panel page itself refused to be framed (X-Frame-Options / frame-ancestors). */
  refusedFraming: boolean;
}

export function judgeFramedPanel(o: FramedPanelObservation): Judgement {
  const where = `web panel "${o.panel}" (${o.url}) in an iframe with no session`;
  const after = o.clicked ? ` after a click on "${o.clicked}"` : '';
  if (o.framedSignIn.length > 0)
    return {
      status: 'fail',
      message: `${where} loaded SuperID's sign-in inside the iframe${after} (${o.framedSignIn[0]}); SuperID refuses to be framed, so the panel stays blank: open the sign-in with window.open() or in the top window`,
    };
  if (o.refusedFraming)
    return {
      status: 'error',
      message: `cannot judge: ${where}: the panel page refused to be framed by the tenant's web client (X-Frame-Options or Content-Security-Policy frame-ancestors), so SuperOffice would show it blank; allow the tenant's host as a frame ancestor of your web-panel pages (\${tenant.origin} here, https://*.superoffice.com in production)`,
    };
  if (o.popups.length > 0)
    return {
      status: 'pass',
      message: `${where} opened the sign-in in a pop-up${after} (${o.popups.at(-1)})`,
    };
  if (o.topSignIn)
    return { status: 'pass', message: `${where} took the top window to SuperID's sign-in${after}` };
  return {
    status: 'error',
    message: `cannot judge: ${where} neither opened a sign-in nor offered a control named like "Sign in" to open one`,
  };
}

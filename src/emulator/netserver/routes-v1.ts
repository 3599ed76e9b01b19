/** `/{ctx}/api/v1/...`: finds the route family of an authenticated call. */
import type { Caller } from './auth.ts';
import type { NetServer, Reply } from './context.ts';
import { decodeURIComponentSafe, err } from './context.ts';
import { PRIVACY_SOURCES, type TenantData } from './data.ts';
import { agentCall } from './routes-agents.ts';
import { archiveSearch, collectionSearch, search } from './routes-archive.ts';
import { defaultEntity, documentById, entityById } from './routes-entities.ts';
import { createListItem, listItems, mdoList } from './routes-lists.ts';
import { principal } from './routes-principal.ts';
import { setConsent, writeEntity } from './routes-writes.ts';
import type { MessageSender } from './system-messages.ts';

export const SENTRY_NOTES = {
  denied: 'sentry: access denied',
  hidden: 'sentry: restricted view',
} as const;

/**
 * The tenant as a Sentry-restricted user sees it: without these companies, their persons and
 * their documents.
 */
function hidden(data: TenantData, contactIds: readonly number[], notes: string[]): TenantData {
  const out = new Set(contactIds);
  notes.push(SENTRY_NOTES.hidden);
  return {
    ...data,
    contacts: data.contacts.filter((c) => !out.has(c.ContactId)),
    persons: data.persons.filter((p) => !out.has(p.ContactId)),
    documents: data.documents.filter((d) => !out.has(d.ContactId)),
  };
}

export function api(
  ns: NetServer,
  method: string,
  rest: string,
  q: URLSearchParams,
  body: Buffer,
  tenant: string,
  caller: Caller,
  notes: string[] = [],
): Reply {
  const seeded = ns.dataFor(tenant, !!caller.flow?.options.xssPayloads);
  const segs = rest.split('/').filter(Boolean).map(decodeURIComponentSafe);
  if (segs[0]?.toLowerCase() !== 'v1') return err(404, `No such resource: ${rest}`, 'NotFound');
  const [, a = '', b, c, d] = segs;
  const A = a.toLowerCase();
  const B = b?.toLowerCase();
  // Sentry applies to the user's own calls; the system user sees everything.
  const sentry = caller.kind === 'bearer' ? caller.flow?.options.api?.sentry : undefined;
  /** The entities with writes and OData collections here. */
  const entity = A === 'contact' || A === 'person' || A === 'document' ? A : undefined;
  const crmData = entity !== undefined || A === 'archive';
  if (sentry?.deny && crmData) {
    notes.push(SENTRY_NOTES.denied);
    return err(
      403,
      "Access denied: the user's role gives no rights to companies and persons",
      'SoAccessDeniedException',
    );
  }
  const data = sentry?.hideContacts?.length ? hidden(seeded, sentry.hideContacts, notes) : seeded;
  const isGet = method === 'GET' || method === 'HEAD';
  const needGet = (): Reply | undefined =>
    isGet ? undefined : err(405, 'Method not allowed', 'MethodNotAllowed');

  if (
    A === 'person' &&
    b !== undefined &&
    c?.toLowerCase() === 'consent' &&
    d !== undefined &&
    segs.length === 5
  )
    return method === 'PUT'
      ? setConsent(
          b,
          d,
          q,
          data,
          PRIVACY_SOURCES.map((p) => p.key),
        )
      : err(405, 'Method not allowed', 'MethodNotAllowed');
  if (entity && !isGet && segs.length <= 3 && B !== 'default')
    return writeEntity(method, entity, b, body, data, notes);
  if (A === 'user' && B === 'currentprincipal' && segs.length === 3)
    return needGet() ?? { status: 200, body: principal(ns.core, tenant, caller, data) };
  if ((A === 'contact' || A === 'person') && b !== undefined && B !== 'default' && segs.length === 3)
    return needGet() ?? entityById(A, b, data);
  if (A === 'document' && b !== undefined && B !== 'default' && segs.length === 3)
    return needGet() ?? documentById(b, data);
  if (b !== undefined && B === 'default' && segs.length === 3) {
    return needGet() ?? { status: 200, body: defaultEntity(a) };
  }
  if (entity && segs.length === 2) return needGet() ?? collectionSearch(ns.myOrigin(), entity, data, q);
  if (A === 'archive' && B === 'traveltransactionlog' && segs.length === 3)
    return needGet() ?? search(ns.myOrigin(), b!, ns.core.webhooks.logRows(tenant), q);
  if (A === 'archive' && b !== undefined && segs.length === 3)
    return needGet() ?? archiveSearch(ns.myOrigin(), b, data, q);
  if (A === 'list' && b !== undefined && c?.toLowerCase() === 'items' && method === 'POST' && d === undefined)
    return createListItem(data, b, body);
  if (A === 'list' && b !== undefined && c?.toLowerCase() === 'items')
    return needGet() ?? listItems(data, b, d);
  if (A === 'mdolist' && b !== undefined && segs.length === 3) return needGet() ?? mdoList(data, b);
  if (A === 'agents' || A === 'agent') {
    const user = caller.userKey === 'system' ? undefined : ns.core.userOf(caller.userKey);
    const sender: MessageSender = user
      ? { kind: 'user', associateId: Number(user.associateId), isAdministrator: user.isAdministrator }
      : { kind: 'system' };
    return agentCall(method, b, c, body, q, ns.core.webPanels, ns.core.systemMessages, tenant, sender);
  }
  return err(404, `No such resource: ${rest}`, 'NotFound');
}

/** `/{ctx}/api/v1/...`: finds the route family of an authenticated call. */
import type { Caller } from './auth.ts';
import type { NetServer, Reply } from './context.ts';
import { decodeURIComponentSafe, err } from './context.ts';
import { agentCall } from './routes-agents.ts';
import { archiveSearch, collectionSearch } from './routes-archive.ts';
import { defaultEntity, entityById } from './routes-entities.ts';
import { listItems, mdoList } from './routes-lists.ts';
import { principal } from './routes-principal.ts';
import { writeEntity } from './routes-writes.ts';

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
  const data = ns.dataFor(tenant, !!caller.flow?.options.xssPayloads);
  const segs = rest.split('/').filter(Boolean).map(decodeURIComponentSafe);
  if (segs[0]?.toLowerCase() !== 'v1') return err(404, `No such resource: ${rest}`, 'NotFound');
  const [, a = '', b, c, d] = segs;
  const A = a.toLowerCase();
  const B = b?.toLowerCase();
  const isGet = method === 'GET' || method === 'HEAD';
  const needGet = (): Reply | undefined =>
    isGet ? undefined : err(405, 'Method not allowed', 'MethodNotAllowed');

  if ((A === 'contact' || A === 'person') && !isGet && segs.length <= 3 && B !== 'default')
    return writeEntity(method, A, b, body, data, notes);
  if (A === 'user' && B === 'currentprincipal' && segs.length === 3)
    return needGet() ?? { status: 200, body: principal(ns.core, tenant, caller, data) };
  if ((A === 'contact' || A === 'person') && b !== undefined && B !== 'default' && segs.length === 3)
    return needGet() ?? entityById(A, b, data);
  if (b !== undefined && B === 'default' && segs.length === 3) {
    return needGet() ?? { status: 200, body: defaultEntity(a) };
  }
  if ((A === 'contact' || A === 'person') && segs.length === 2)
    return needGet() ?? collectionSearch(ns.myOrigin(), A, data, q);
  if (A === 'archive' && b !== undefined && segs.length === 3)
    return needGet() ?? archiveSearch(ns.myOrigin(), b, data, q);
  if (A === 'list' && b !== undefined && c?.toLowerCase() === 'items')
    return needGet() ?? listItems(data, b, d);
  if (A === 'mdolist' && b !== undefined && segs.length === 3) return needGet() ?? mdoList(data, b);
  if (A === 'agents' || A === 'agent') return agentCall(method, b, c, body);
  return err(404, `No such resource: ${rest}`, 'NotFound');
}

/** Agent methods (`POST /{ctx}/api/v1/Agents/{agent}/{method}`): the few that partner apps call. */
import { safeJson } from '../http.ts';
import type { Reply } from './context.ts';
import { err } from './context.ts';
import { defaultEntity } from './routes-entities.ts';
import type { MessageSender, SystemMessages } from './system-messages.ts';

let nextWebPanelId = 101;
let nextListItemId = 5_000;

/** `Agents/{b}/{c}` (also `Agent/...`), where `b` is the agent and `c` the method. */
export function agentCall(
  method: string,
  b: string | undefined,
  c: string | undefined,
  body: Buffer,
  q: URLSearchParams,
  panels: Map<number, Record<string, unknown>>,
  messages: SystemMessages,
  tenant: string,
  sender: MessageSender,
): Reply {
  if (method !== 'POST') return err(405, 'Agent methods are called with POST', 'MethodNotAllowed');
  let json: unknown = {};
  if (body.length) {
    const parsed = safeJson(body.toString('utf8'));
    if (!parsed.ok) return err(400, 'Request body is not valid JSON', 'BadRequest');
    json = parsed.value;
  }
  const agent = b?.toLowerCase();
  const fn = c?.toLowerCase();
  if (agent === 'diagnostics' && fn) {
    const r = messages.call(fn, json, tenant, sender);
    if (r) return r;
  }
  if (agent === 'list' && fn === 'createdefaultwebpanelentity') {
    return {
      status: 200,
      body: {
        WebPanelId: 0,
        Name: '',
        Tooltip: '',
        Deleted: false,
        Rank: 0,
        UrlEncoding: 'None',
        VisibleIn: 'None',
        OnCentral: false,
        OnSalesMarketingWeb: false,
        OnSalesMarketingPocket: false,
        ShowInMenuBar: false,
        ShowInToolBar: false,
        ShowInAddressBar: false,
        ShowInStatusBar: false,
        WindowName: '',
        Url: '',
        Description: '',
        ProgId: '',
        Icon: 0,
        AlwaysReloadOnShow: false,
      },
    };
  }
  if (agent === 'list' && fn === 'getappwebpanels') return { status: 200, body: [...panels.values()] };
  if (agent === 'list' && fn === 'deleteappwebpanels') {
    panels.clear();
    return { status: 204 };
  }
  if (agent === 'list' && fn === 'deletewebpanel') {
    const id = Number(
      q.get('webPanelId') ?? q.get('WebPanelId') ?? (json as Record<string, unknown>)?.['WebPanelId'],
    );
    if (!panels.delete(id)) return err(404, `Web panel ${id} not found`, 'NotFound');
    return { status: 204 };
  }
  if (agent === 'list' && fn === 'savewebpanel') {
    if (!json || typeof json !== 'object' || Array.isArray(json))
      return err(400, 'Body must be a WebPanelEntity', 'BadRequest');
    const given = Number((json as Record<string, unknown>)['WebPanelId'] ?? 0);
    const id = given > 0 && panels.has(given) ? given : nextWebPanelId++;
    const panel = { ...(json as Record<string, unknown>), WebPanelId: id };
    panels.set(id, panel);
    return { status: 200, body: panel };
  }
  if (agent === 'list' && fn === 'createdefaultlistitementity')
    return {
      status: 200,
      body: { Id: 0, Name: null, Tooltip: null, Deleted: false, UdListDefinitionId: 0, Rank: 0 },
    };
  if (agent === 'list' && fn === 'savelistitementity') {
    const item = (json as Record<string, unknown> | undefined)?.['ListItemEntity'];
    if (!item || typeof item !== 'object') return err(400, 'Body must name a ListItemEntity', 'BadRequest');
    const id = Number((item as Record<string, unknown>)['Id'] ?? 0);
    return { status: 200, body: { ...(item as object), Id: id > 0 ? id : nextListItemId++ } };
  }
  if (agent === 'person' && fn === 'createdefaultpersonentity')
    return { status: 200, body: defaultEntity('Person') };
  if (agent === 'contact' && fn === 'createdefaultcontactentity')
    return { status: 200, body: defaultEntity('Contact') };
  return err(404, `Agent method ${b}/${c} not found`, 'NotFound');
}

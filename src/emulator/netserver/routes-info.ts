/** `GET /{ctx}/api`: the API description NetServer gives before any authentication. */
import { NETSERVER_LABEL } from '../superid/state-api.ts';

export function apiInfo(origin: string, tenant: string): Record<string, unknown> {
  return {
    v1: `${origin}/${tenant}/api/v1/`,
    NetServerVersion: '11.10.721.0',
    NetServerAssembly: '11.10.0.0',
    NetServerDate: '2026-02-24',
    NetServerLabel: NETSERVER_LABEL,
    NetServer: `SuperOffice 11.10 NetServer 11.10 Release (Build: ${NETSERVER_LABEL})`,
    Services: 'Services87',
    ServicesCurrent: 'Services88',
    Version: 'v1',
    Documentation: 'https://docs.superoffice.com/en/api/',
  };
}

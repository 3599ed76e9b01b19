/** `GET /{ctx}/api/v1/User/currentPrincipal`: the signed-in user, or the system user of a ticket. */
import type { EmulatorCore } from '../core.ts';
import type { Caller } from './auth.ts';
import type { TenantData } from './data.ts';

export function principal(
  core: EmulatorCore,
  tenant: string,
  caller: Caller,
  data: TenantData,
): Record<string, unknown> {
  if (caller.userKey === 'system') {
    return {
      UserType: 'SystemAnonymous',
      Associate: 'SYSTEM',
      AssociateId: 0,
      IsPerson: false,
      PersonId: 0,
      ContactId: 1,
      FullName: 'System user',
      EMailAddress: '',
      UserName: 'SYSTEM',
      DatabaseContextIdentifier: tenant,
      Licenses: [],
      FunctionRights: [],
      ProvidedCredentials: [],
      SecondaryGroups: [],
    };
  }
  const u = core.userOf(caller.userKey);
  const a = data.associates.find((x) => String(x.AssociateId) === u.associateId) ?? data.associates[0]!;
  const p = data.persons.find((x) => x.PersonId === a.PersonId);
  return {
    UserType: 'InternalAssociate',
    Associate: a.Name,
    AssociateId: a.AssociateId,
    IsPerson: true,
    PersonId: a.PersonId,
    CountryId: 578,
    HomeCountryId: 578,
    ContactId: a.ContactId,
    GroupId: 1,
    BusinessId: 1,
    CategoryId: 4,
    ContactOwner: a.AssociateId,
    RoleId: u.isAdministrator ? 1 : 2,
    RoleName: u.isAdministrator ? 'Administrator' : 'User',
    RoleDescription: u.isAdministrator ? 'Full access' : 'Normal user',
    RoleType: 'Employee',
    Licenses: [{ Name: 'SuperOffice CRM', Description: 'User plan', Assigned: true }],
    FullName: a.FullName,
    EMailAddress: p?.Email ?? u.username,
    FunctionRights: u.isAdministrator ? ['admin-all', 'allow-bulk-update'] : [],
    EjUserId: 0,
    EjAccessLevel: 0,
    EjUserStatus: 'Normal',
    ProvidedCredentials: [{ Type: 'SuperIdOidc', Value: '', DisplayValue: u.username }],
    SecondaryGroups: [],
    DatabaseContextIdentifier: tenant,
    UserName: u.username,
  };
}

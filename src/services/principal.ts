/**
 * Who is calling, as every service sees it. An API key carries scopes; Basic and JWT have full
 * access for their user (as the seed says of Basic).
 */
export interface Scope {
  controller: string;
  action: string;
}

export interface Principal {
  userId: string;
  username: string;
  isAdmin: boolean;
  via: 'basic' | 'jwt' | 'api_key';
  /** Only for API keys. */
  scopes?: Scope[];
}

/** Whether a set of key scopes grants `need`; `*` is a wildcard for controller or action. */
export function scopeAllows(scopes: Scope[], need: Scope): boolean {
  return scopes.some((s) => (s.controller === need.controller || s.controller === '*') && (s.action === need.action || s.action === '*'));
}

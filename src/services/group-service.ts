/**
 * Groups of users (`/groups`, admins only): `{id, name, comment, users: [usernames]}`. A group is
 * what storage privileges name when a right belongs to a team rather than to one person.
 */
import { ValidationErrors, forbidden, invalid, notFound } from '../domain/errors.js';
import { parseListQuery, type ListSpec } from '../domain/list-query.js';
import { UniqueTaken } from '../domain/conflicts.js';
import type { Clock } from '../lib/clock.js';
import { newId } from '../lib/tokens.js';
import type { GroupRepository } from '../store/group-repository.js';
import type { UserRepository } from '../store/user-repository.js';
import type { GroupRow } from '../store/schema.js';
import type { Principal } from './principal.js';
import { checkFields, type FieldRules } from './registry-fields.js';
import { unwrapBody } from './request-body.js';

export interface GroupView { id: string; name: string; comment: string | null; users: string[]; created_at: string; updated_at: string }

export const GROUP_LIST: ListSpec = {
  filters: { id: 'string', name: 'string', comment: 'string', created_at: 'date', updated_at: 'date' },
  sortable: ['id', 'name', 'comment', 'created_at', 'updated_at'],
};

const RULES: FieldRules = {
  name: { kind: 'string', required: true, max: 255 },
  comment: { kind: 'string', max: 4096 },
};

export class GroupService {
  constructor(
    private readonly groups: GroupRepository,
    private readonly users: UserRepository,
    private readonly clock: Clock,
  ) {}

  async list(p: Principal, query: Record<string, unknown>): Promise<{ count: number; groups: GroupView[] }> {
    requireAdmin(p);
    const { count, rows } = await this.groups.list(parseListQuery(query, GROUP_LIST));
    return { count, groups: await this.views(rows) };
  }

  async show(p: Principal, id: string): Promise<GroupView> {
    requireAdmin(p);
    return (await this.views([await this.get(id)]))[0]!;
  }

  async create(p: Principal, body: unknown): Promise<GroupView> {
    requireAdmin(p);
    const input = unwrapBody(body, 'group');
    const errors = new ValidationErrors();
    const accepted = checkFields(input, RULES, false, errors);
    const members = await this.members(input.users, errors);
    errors.throwIfAny();
    const now = this.clock.now().toISOString();
    const row: GroupRow = { id: newId(), name: accepted.name as string, comment: (accepted.comment as string | null | undefined) ?? null, created_at: now, updated_at: now };
    await this.save(() => this.groups.insert(row, members ?? []));
    return this.show(p, row.id);
  }

  /** Partial update; `users`, when present, replaces the members. */
  async update(p: Principal, id: string, body: unknown): Promise<GroupView> {
    requireAdmin(p);
    await this.get(id);
    const input = unwrapBody(body, 'group');
    const errors = new ValidationErrors();
    const accepted = checkFields(input, RULES, true, errors);
    const members = await this.members(input.users, errors);
    errors.throwIfAny();
    const patch: Partial<GroupRow> = { updated_at: this.clock.now().toISOString() };
    if (accepted.name !== undefined) patch.name = accepted.name as string;
    if (accepted.comment !== undefined) patch.comment = (accepted.comment as string | null) ?? null;
    await this.save(() => this.groups.update(id, patch, members));
    return this.show(p, id);
  }

  /** Deleting a group removes its memberships and the privileges that named it. */
  async destroy(p: Principal, id: string): Promise<void> {
    requireAdmin(p);
    await this.get(id);
    await this.groups.delete(id);
  }

  /** Usernames → user ids; unknown names are one error naming them all. */
  private async members(raw: unknown, errors: ValidationErrors): Promise<string[] | undefined> {
    if (raw === undefined) return undefined;
    if (raw === null) return [];
    if (!Array.isArray(raw) || raw.some((u) => typeof u !== 'string')) {
      errors.add('users', { error: 'invalid' }, 'Users must be a list of usernames');
      return undefined;
    }
    const ids: string[] = [];
    const unknown: string[] = [];
    for (const name of new Set(raw as string[])) {
      const u = await this.users.findByUsername(name);
      if (u) ids.push(u.id);
      else unknown.push(name);
    }
    if (unknown.length > 0) errors.add('users', { error: 'not_found', value: unknown }, `No user named ${unknown.join(', ')}`);
    return ids;
  }

  private async get(id: string): Promise<GroupRow> {
    const row = await this.groups.findById(id);
    if (!row) throw notFound('Group');
    return row;
  }

  private async views(rows: GroupRow[]): Promise<GroupView[]> {
    const members = await this.groups.memberNames(rows.map((r) => r.id));
    return rows.map((r) => ({ id: r.id, name: r.name, comment: r.comment, users: members.get(r.id) ?? [], created_at: r.created_at, updated_at: r.updated_at }));
  }

  private async save(write: () => Promise<void>): Promise<void> {
    try {
      await write();
    } catch (err) {
      if (err instanceof UniqueTaken) throw invalid('name', { error: 'taken' }, 'Group name has already been taken');
      throw err;
    }
  }
}

function requireAdmin(p: Principal): void {
  if (!p.isAdmin) throw forbidden('Only an admin can manage groups');
}

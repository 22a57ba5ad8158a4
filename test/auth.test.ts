/**
 * Authentication end to end: HTTP Basic, scoped API keys, JWT sessions (tampering, `alg: none`,
 * expiry on an injected clock), the generated first-start admin password, and that no secret ever
 * appears in a response — on SQLite and, when configured, PostgreSQL.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import { ADMIN_PASSWORD, boot, dialects, pgSkipReason, type Booted, type Client } from './helpers/barge.js';
import { copyTask, makeUser, nasWithShares, unique } from './helpers/fixtures.js';
import { assertModelError } from './helpers/model-error.js';
import { recordResponses } from './helpers/responses.js';

if (pgSkipReason()) console.log(`# ${pgSkipReason()}`);

const recorder = recordResponses();
after(() => recorder.restore());

const b64url = (x: unknown): string => Buffer.from(JSON.stringify(x)).toString('base64url');
const decode = (segment: string): any => JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
/** Changes the character at `i` (never the last one of a segment, whose low bits may be padding). */
const flip = (s: string, i: number): string => s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1);

type ScopeSpec = Array<{ controller: string; action: string }>;

for (const dialect of dialects()) {
  describe(`authentication (${dialect})`, () => {
    let b: Booted;
    let t = Date.now();
    const clock = { now: () => new Date(t) };
    let shares: Record<string, { id: string; path: string }>;
    let adminId: string;
    before(async () => {
      b = await boot({ dialect, env: { BARGE_JWT_TTL_SECONDS: '60' }, overrides: { clock } });
      shares = await nasWithShares(b.admin, ['src', 'dst']);
      adminId = (await b.admin.get('/users/me')).body.id;
    });
    after(async () => b?.stop());

    async function newKey(owner: Client, scopes: ScopeSpec): Promise<{ id: string; key: string; client: Client }> {
      const r = await owner.post('/users/me/api_keys', { name: unique('key'), api_key_scopes: scopes });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      return { id: r.body.id, key: r.body.key, client: b.api.withAuth(r.body.key) };
    }

    async function newTask(client: Client = b.admin): Promise<string> {
      const r = await client.post('/tasks', copyTask(shares.src!.id, shares.dst!.id));
      assert.equal(r.status, 201, JSON.stringify(r.body));
      return r.body.id;
    }

    async function signIn(username: string, password: string): Promise<string> {
      const r = await b.api.post('/users/sign_in', { user: { username, password } });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      return r.body.token;
    }

    // --- HTTP Basic

    it('Basic: good credentials are a 200 for that user', async () => {
      const r = await b.admin.get('/users/me');
      assert.equal(r.status, 200);
      assert.equal(r.body.username, 'admin');
      assert.equal(r.body.is_admin, true);
      const colon = await makeUser(b.admin, unique('colon'), 'pass:word:123');
      assert.equal((await colon.client.get('/users/me')).body.username, colon.username, 'a password may contain colons');
      assertModelError(await b.api.withBasic(colon.username, 'pass').get('/users/me'), 401);
    });

    it('Basic: wrong password, unknown user and no header are 401 model_errors with a challenge', async () => {
      await b.admin.get('/tasks'); // the good credentials are now cached; a wrong password must still fail
      for (const client of [b.api.withBasic('admin', 'wrong-password'), b.api.withBasic('admin', `${ADMIN_PASSWORD}x`), b.api.withBasic(unique('nobody'), ADMIN_PASSWORD), b.api]) {
        const r = await client.get('/tasks');
        assertModelError(r, 401, 'authorization', 'invalid');
        assert.match(r.headers.get('www-authenticate') ?? '', /^Basic /);
      }
    });

    it('Basic: malformed credentials are a 401, never a 400 or 500', async () => {
      const headers = [
        `Basic ${Buffer.from('no-colon-here').toString('base64')}`,
        `Basic ${Buffer.from(`:${ADMIN_PASSWORD}`).toString('base64')}`,
        'Basic %%%not-base64%%%',
        'Basic',
        'Basic a b c',
        'Digest username="admin"',
      ];
      for (const h of headers) assertModelError(await b.api.withAuth(h).get('/tasks'), 401);
    });

    // --- API keys

    it('API key: shown in full once at creation, masked (****last4) everywhere afterwards', async () => {
      const scopes = [{ controller: 'tasks', action: 'index' }];
      const name = unique('key');
      const r = await b.admin.post('/users/me/api_keys', { name, api_key_scopes: scopes });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      const full: string = r.body.key;
      assert.equal(typeof full, 'string');
      assert.equal(r.body.api_key, undefined, "Nodeum's key model has the key in `key`");
      assert.ok(full.length >= 32 && !full.startsWith('****'), full);
      assert.equal(r.body.name, name);
      assert.deepEqual(r.body.api_key_scopes, scopes);
      const masked = `****${full.slice(-4)}`;
      const list = await b.admin.get('/users/me/api_keys');
      assert.equal(list.status, 200);
      assert.equal(list.body.api_keys.find((k: any) => k.id === r.body.id)?.key, masked);
      const show = await b.admin.get(`/users/me/api_keys/${r.body.id}`);
      assert.equal(show.status, 200);
      assert.equal(show.body.key, masked);
      const upd = await b.admin.put(`/users/me/api_keys/${r.body.id}`, { name: `${name}-renamed` });
      assert.equal(upd.status, 200);
      assert.equal(upd.body.key, masked);
      assert.equal((await b.api.withAuth(full).get('/tasks')).status, 200);
      assert.deepEqual(recorder.containing(full).map((x) => `${x.method} ${x.status}`), ['POST 201'], 'the full key was only in the creation response');
    });

    it('API key: accepted raw and as Bearer, and acts as its owner', async () => {
      const user = await makeUser(b.admin);
      await newTask(); // an admin task the user's key must not list
      const k = await newKey(user.client, [{ controller: 'tasks', action: 'index' }, { controller: 'users', action: 'me' }]);
      for (const auth of [k.key, `Bearer ${k.key}`, `bearer ${k.key}`]) {
        const r = await b.api.withAuth(auth).get('/tasks');
        assert.equal(r.status, 200, `${auth.slice(0, 8)}… ${JSON.stringify(r.body)}`);
        assert.equal(r.body.count, 0);
      }
      assert.equal((await k.client.get('/users/me')).body.username, user.username);
      assertModelError(await b.api.withAuth(`${k.key}x`).get('/tasks'), 401);
      assertModelError(await b.api.withAuth(`Bearer ${k.key.slice(0, -1)}`).get('/tasks'), 401);
    });

    it('API key: an operation outside its scopes is a 403 model_error and does nothing', async () => {
      const id = await newTask();
      const k = await newKey(b.admin, [{ controller: 'tasks', action: 'index' }]);
      const before = (await b.admin.get('/tasks?limit=1000')).body.count;
      assertModelError(await k.client.post('/tasks', copyTask(shares.src!.id, shares.dst!.id)), 403, 'authorization', 'forbidden');
      assertModelError(await k.client.post('/tasks', {}), 403, 'authorization', 'forbidden'); // scope before validation
      assertModelError(await k.client.put(`/tasks/${id}/action/run`), 403, 'authorization', 'forbidden');
      assertModelError(await k.client.put(`/tasks/${id}`, { comment: 'by key' }), 403);
      assertModelError(await k.client.delete(`/tasks/${id}`), 403);
      assertModelError(await k.client.get(`/tasks/${id}`), 403);
      assertModelError(await k.client.get('/users/me'), 403);
      assertModelError(await k.client.post('/users/me/api_keys', { name: 'escalate', api_key_scopes: [{ controller: '*', action: '*' }] }), 403);
      assert.equal((await b.admin.get('/tasks?limit=1000')).body.count, before);
      assert.equal((await b.admin.get(`/tasks/${id}/task_executions`)).body.count, 0);
      assert.equal((await b.admin.get(`/tasks/${id}`)).body.comment ?? null, null);
      assert.equal((await k.client.get('/tasks')).status, 200);
    });

    it('API key: a wildcard action allows every task operation and nothing else', async () => {
      const k = await newKey(b.admin, [{ controller: 'tasks', action: '*' }]);
      const id = await newTask(k.client);
      assert.equal((await k.client.get('/tasks')).status, 200);
      assert.equal((await k.client.get(`/tasks/${id}`)).status, 200);
      const upd = await k.client.put(`/tasks/${id}`, { comment: 'by key' });
      assert.equal(upd.status, 200, JSON.stringify(upd.body));
      assert.equal(upd.body.comment, 'by key');
      assert.equal((await k.client.put(`/tasks/${id}/action/run`)).status, 200);
      assert.equal((await k.client.put(`/tasks/${id}/action/force_stop`)).status, 200);
      assert.equal((await k.client.delete(`/tasks/${id}`)).status, 204);
      assertModelError(await k.client.get('/nas'), 403);
      assertModelError(await k.client.get('/users/me'), 403);
      assertModelError(await k.client.get('/task_executions'), 403);
    });

    it('API key: updated scopes take effect on the next request; a name-only update keeps them', async () => {
      const k = await newKey(b.admin, [{ controller: 'tasks', action: 'index' }]);
      assertModelError(await k.client.post('/tasks', copyTask(shares.src!.id, shares.dst!.id)), 403);
      const upd = await b.admin.put(`/users/me/api_keys/${k.id}`, { api_key_scopes: [{ controller: 'tasks', action: 'create' }] });
      assert.equal(upd.status, 200, JSON.stringify(upd.body));
      assert.deepEqual(upd.body.api_key_scopes, [{ controller: 'tasks', action: 'create' }]);
      await newTask(k.client);
      assertModelError(await k.client.get('/tasks'), 403);
      assert.equal((await b.admin.put(`/users/me/api_keys/${k.id}`, { name: 'renamed' })).status, 200);
      assert.deepEqual((await b.admin.get(`/users/me/api_keys/${k.id}`)).body.api_key_scopes, [{ controller: 'tasks', action: 'create' }]);
      await newTask(k.client);
    });

    it('API key: a deleted key stops working at once (401) and is gone (404)', async () => {
      const k = await newKey(b.admin, [{ controller: 'tasks', action: 'index' }]);
      assert.equal((await k.client.get('/tasks')).status, 200);
      assert.equal((await b.admin.delete(`/users/me/api_keys/${k.id}`)).status, 204);
      assertModelError(await k.client.get('/tasks'), 401);
      assertModelError(await b.api.withAuth(`Bearer ${k.key}`).get('/tasks'), 401);
      assertModelError(await b.admin.get(`/users/me/api_keys/${k.id}`), 404, 'id', 'not_found');
      assertModelError(await b.admin.delete(`/users/me/api_keys/${k.id}`), 404, 'id', 'not_found');
      assert.ok(!(await b.admin.get('/users/me/api_keys')).body.api_keys.some((x: any) => x.id === k.id));
    });

    it("API key: another user's key ids are 404 for me and stay untouched", async () => {
      const other = await makeUser(b.admin);
      const k = await newKey(other.client, [{ controller: 'tasks', action: 'index' }]);
      assertModelError(await b.admin.get(`/users/me/api_keys/${k.id}`), 404, 'id', 'not_found');
      assertModelError(await b.admin.put(`/users/me/api_keys/${k.id}`, { api_key_scopes: [{ controller: '*', action: '*' }] }), 404, 'id', 'not_found');
      assertModelError(await b.admin.delete(`/users/me/api_keys/${k.id}`), 404, 'id', 'not_found');
      assert.ok(!(await b.admin.get('/users/me/api_keys?limit=1000')).body.api_keys.some((x: any) => x.id === k.id));
      const mine = await other.client.get(`/users/me/api_keys/${k.id}`);
      assert.deepEqual(mine.body.api_key_scopes, [{ controller: 'tasks', action: 'index' }]);
      assert.equal((await k.client.get('/tasks')).status, 200);
      assertModelError(await k.client.post('/tasks', {}), 403);
    });

    it('API key: last_used_at records use, at most once a minute', async () => {
      const k = await newKey(b.admin, [{ controller: 'tasks', action: 'index' }]);
      assert.equal((await b.admin.get(`/users/me/api_keys/${k.id}`)).body.last_used_at, null);
      assert.equal((await k.client.get('/tasks')).status, 200);
      const first = (await b.admin.get(`/users/me/api_keys/${k.id}`)).body.last_used_at;
      assert.ok(first && !Number.isNaN(Date.parse(first)), String(first));
      await k.client.get('/tasks');
      assert.equal((await b.admin.get(`/users/me/api_keys/${k.id}`)).body.last_used_at, first, 'not rewritten within the minute');
    });

    it('API key: a key cannot mint or widen a key beyond its own scopes', async () => {
      const k = await newKey(b.admin, [{ controller: 'api_keys', action: 'create' }, { controller: 'api_keys', action: 'update' }, { controller: 'tasks', action: 'index' }]);
      assertModelError(await k.client.post('/users/me/api_keys', { name: unique('minted'), api_key_scopes: [{ controller: '*', action: '*' }] }), 403);
      const narrow = await k.client.post('/users/me/api_keys', { name: unique('narrow'), api_key_scopes: [{ controller: 'tasks', action: 'index' }] });
      assert.equal(narrow.status, 201, JSON.stringify(narrow.body));
      assertModelError(await k.client.put(`/users/me/api_keys/${narrow.body.id}`, { api_key_scopes: [{ controller: 'tasks', action: 'create' }] }), 403);
      assert.deepEqual((await b.admin.get(`/users/me/api_keys/${narrow.body.id}`)).body.api_key_scopes, [{ controller: 'tasks', action: 'index' }]);
    });

    // --- JWT

    it('JWT: sign-in gives a Bearer token in the header and the body; it works as Bearer and raw', async () => {
      const r = await b.api.post('/users/sign_in', { user: { username: 'admin', password: ADMIN_PASSWORD } });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      const token: string = r.body.token;
      assert.equal(r.headers.get('authorization'), `Bearer ${token}`);
      const [h, p, s] = token.split('.');
      assert.ok(h && p && s, token);
      assert.equal(decode(h).alg, 'HS256');
      assert.equal(decode(p).sub, adminId);
      assert.equal(r.body.user.username, 'admin');
      assert.ok(!('password' in r.body.user) && !('password_hash' in r.body.user));
      for (const auth of [`Bearer ${token}`, token]) {
        const me = await b.api.withAuth(auth).get('/users/me');
        assert.equal(me.status, 200);
        assert.equal(me.body.id, adminId);
      }
      assert.equal((await b.api.withAuth(`Bearer ${token}`).get('/nas')).status, 200, 'a session is not scoped');
    });

    it('JWT: a token with one character changed in its signature or payload is a 401', async () => {
      const user = await makeUser(b.admin);
      const token = await signIn(user.username, 'user-password-1');
      const [h, p, s] = token.split('.') as [string, string, string];
      assert.equal((await b.api.withAuth(`Bearer ${token}`).get('/users/me')).status, 200, 'control: the untouched token works');
      const forged = { ...decode(p), sub: adminId, username: 'admin' };
      const tampered = [
        `${h}.${p}.${flip(s, 5)}`,
        `${h}.${p}.${flip(s, Math.floor(s.length / 2))}`,
        `${h}.${flip(p, 3)}.${s}`,
        `${h}.${b64url(forged)}.${s}`,
        `${h}.${p}.`,
        `${b64url({ alg: 'HS512', typ: 'JWT' })}.${p}.${s}`,
      ];
      for (const x of tampered) {
        assertModelError(await b.api.withAuth(`Bearer ${x}`).get('/users/me'), 401);
        assertModelError(await b.api.withAuth(x).get('/users/me'), 401);
      }
      const otherKey = await new SignJWT(forged).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(randomBytes(32));
      assertModelError(await b.api.withAuth(`Bearer ${otherKey}`).get('/users/me'), 401);
    });

    it('JWT: an unsigned alg:none token for the admin is a 401', async () => {
      const now = Math.floor(t / 1000);
      const claims = { sub: adminId, username: 'admin', iss: 'barge', aud: 'barge-api', iat: now, exp: now + 600 };
      const none = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(claims)}.`;
      const real = (await signIn('admin', ADMIN_PASSWORD)).split('.')[2];
      for (const x of [none, `${none}${real}`, `${b64url({ alg: 'None', typ: 'JWT' })}.${b64url(claims)}.`]) {
        assertModelError(await b.api.withAuth(`Bearer ${x}`).get('/users/me'), 401);
        assertModelError(await b.api.withAuth(x).get('/tasks'), 401);
      }
    });

    it('JWT: a token is refused once it has expired (TTL 60 s on the injected clock)', async () => {
      const token = await signIn('admin', ADMIN_PASSWORD);
      const session = b.api.withAuth(`Bearer ${token}`);
      assert.equal(decode(token.split('.')[1]!).exp - decode(token.split('.')[1]!).iat, 60);
      t += 59_000;
      assert.equal((await session.get('/users/me')).status, 200, 'still valid at 59 s');
      t += 2_000;
      assertModelError(await session.get('/users/me'), 401);
      const fresh = await signIn('admin', ADMIN_PASSWORD);
      assert.equal((await b.api.withAuth(`Bearer ${fresh}`).get('/users/me')).status, 200);
    });

    it('JWT: bad credentials at sign-in are a 401; missing fields a 422 blank', async () => {
      for (const user of [{ username: 'admin', password: 'wrong-password' }, { username: unique('nobody'), password: ADMIN_PASSWORD }]) {
        const r = await b.api.post('/users/sign_in', { user });
        assertModelError(r, 401);
        assert.equal(r.headers.get('authorization'), null);
        assert.equal(r.body.token, undefined);
      }
      const onlyName = await b.api.post('/users/sign_in', { user: { username: 'admin' } });
      assertModelError(onlyName, 422, 'password', 'blank');
      assert.equal(onlyName.body.details.username, undefined);
      for (const body of [{}, { user: {} }, { user: { username: '', password: '' } }]) {
        const r = await b.api.post('/users/sign_in', body);
        assertModelError(r, 422, 'username', 'blank');
        assertModelError(r, 422, 'password', 'blank');
      }
    });

    // --- secrets

    it('no response ever carried the admin password or a password hash', async () => {
      assert.ok(recorder.seen.length > 50, `only ${recorder.seen.length} responses recorded`);
      assert.ok(recorder.seen.some((x) => x.url.endsWith('/users/sign_in') && x.status === 201));
      assert.deepEqual(recorder.containing(ADMIN_PASSWORD).map((x) => x.url), []);
      assert.deepEqual(recorder.containing('$argon2').map((x) => x.url), []);
      assert.deepEqual(recorder.containing('password_hash').map((x) => x.url), []);
    });
  });

  describe(`first start without BARGE_ADMIN_PASSWORD (${dialect})`, () => {
    it('generates a strong admin password that works, and no default password does', async () => {
      const g = await boot({ dialect, env: { BARGE_ADMIN_PASSWORD: '' } });
      try {
        assert.equal(g.barge.admin.created, true);
        assert.equal(g.barge.admin.generated, true);
        const password = g.barge.admin.password;
        assert.equal(typeof password, 'string');
        assert.ok(password!.length >= 16, `generated password has only ${password!.length} chars`);
        const me = await g.api.withBasic('admin', password!).get('/users/me');
        assert.equal(me.status, 200);
        assert.equal(me.body.is_admin, true);
        for (const guess of [ADMIN_PASSWORD, 'admin', 'password', 'changeme', '']) {
          assertModelError(await g.api.withBasic('admin', guess).get('/users/me'), 401);
        }
        assert.deepEqual(recorder.containing(password!).map((x) => x.url), []);
      } finally {
        await g.stop();
      }
    });
  });
}

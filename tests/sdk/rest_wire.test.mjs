// Wire-level shapes the SDK depends on (and that the SDK hides behind its API).
// Kept small: statuses, codes and the bodies a client library parses.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { Parse, SERVER_URL, APP_ID, MASTER_KEY, MK, uid, newPatient, ensureSeedSchema, rest, ON_PARSE_POSTGRES } from './helpers.mjs';

before(async () => {
  await ensureSeedSchema();
});

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const patientBody = (extra = {}) => ({
  mrn: uid('MRN'),
  fullName: 'Wire',
  dateOfBirth: { __type: 'Date', iso: '1999-09-09T09:09:09.999Z' },
  status: 'active',
  ...extra,
});

test('GET /health -> 200 {"status":"ok"} (no app id needed)', async () => {
  const r = await rest('GET', '/health', { appId: null });
  assert.equal(r.status, 200);
  assert.deepEqual(r.json, { status: 'ok' });
});

test('missing or wrong application id -> 403 {"error":"unauthorized"}', async () => {
  const none = await rest('GET', '/classes/OpenPatient', { appId: null });
  assert.equal(none.status, 403);
  assert.deepEqual(none.json, { error: 'unauthorized' });
  const wrong = await rest('GET', '/classes/OpenPatient', { appId: `${APP_ID}-wrong` });
  assert.equal(wrong.status, 403);
  assert.deepEqual(wrong.json, { error: 'unauthorized' });
});

test('master-key-only endpoint without master key -> 403 {"error":"Permission denied"}', async () => {
  const r = await rest('GET', '/schemas');
  assert.equal(r.status, 403);
  assert.deepEqual(r.json, { error: 'Permission denied' });
  const one = await rest('GET', '/schemas/OpenPatient');
  assert.equal(one.status, 403);
  assert.deepEqual(one.json, { error: 'Permission denied' });
});

test('GET /schemas with master key lists {results:[{className, fields, classLevelPermissions}]}', async () => {
  const r = await rest('GET', '/schemas', { master: true });
  assert.equal(r.status, 200);
  assert.deepEqual(Object.keys(r.json), ['results']);
  const byName = Object.fromEntries(r.json.results.map((c) => [c.className, c]));
  for (const cls of ['_User', 'OpenPatient', 'OpenEncounter', 'OpenMedicalNote', 'OpenPatientProfile', 'OpenAuditLog']) {
    assert.ok(byName[cls], `${cls} listed`);
    assert.ok(byName[cls].classLevelPermissions, `${cls} has classLevelPermissions`);
  }
  const pf = byName.OpenPatient.fields;
  assert.deepEqual(pf.objectId, { type: 'String' });
  assert.deepEqual(pf.createdAt, { type: 'Date' });
  assert.deepEqual(pf.updatedAt, { type: 'Date' });
  assert.deepEqual(pf.ACL, { type: 'ACL' });
  assert.deepEqual(pf.mrn, { type: 'String', required: true });
  assert.deepEqual(pf.dateOfBirth, { type: 'Date', required: true });
  assert.deepEqual(pf.allergies, { type: 'Array' });
  assert.deepEqual(pf.primaryClinician, { type: 'Pointer', targetClass: '_User' });
  assert.deepEqual(byName.OpenPatientProfile.fields.user, { type: 'Pointer', targetClass: '_User', required: true });
  assert.deepEqual(byName._User.fields.role, { type: 'String', required: true });
  const missing = await rest('GET', '/schemas/NoSuchClassAtAll', { master: true });
  assert.equal(missing.status, 400);
  assert.deepEqual(missing.json, { code: 103, error: 'Class NoSuchClassAtAll does not exist.' });
});

test('POST /classes/X -> 201, Location header, body exactly {objectId, createdAt}', async () => {
  const r = await rest('POST', '/classes/OpenPatient', { body: patientBody() });
  assert.equal(r.status, 201);
  assert.deepEqual(Object.keys(r.json).sort(), ['createdAt', 'objectId']);
  assert.match(r.json.objectId, /^[A-Za-z0-9]{10}$/);
  assert.match(r.json.createdAt, ISO);
  assert.equal(r.headers.get('location'), `${SERVER_URL}/classes/OpenPatient/${r.json.objectId}`);
  const g = await rest('GET', `/classes/OpenPatient/${r.json.objectId}`);
  assert.equal(g.status, 200);
  assert.equal(g.json.objectId, r.json.objectId);
  assert.equal(g.json.createdAt, r.json.createdAt);
  assert.equal(g.json.updatedAt, r.json.createdAt);
  assert.deepEqual(g.json.dateOfBirth, { __type: 'Date', iso: '1999-09-09T09:09:09.999Z' });
});

test('object not found on GET/PUT/DELETE -> 404 {"code":101,"error":"Object not found."}', async () => {
  for (const method of ['GET', 'PUT', 'DELETE']) {
    const r = await rest(method, '/classes/OpenPatient/doesNotExist9', method === 'PUT' ? { body: { fullName: 'x' } } : {});
    assert.equal(r.status, 404, method);
    assert.deepEqual(r.json, { code: 101, error: 'Object not found.' });
  }
});

test('errors are HTTP 400 {"code":N,"error":"..."}', async () => {
  const req = await rest('POST', '/classes/OpenPatient', { body: { fullName: 'x' } });
  assert.equal(req.status, 400);
  assert.equal(req.json.code, 142);
  assert.match(req.json.error, /^\w+ is required$/);
  const type = await rest('POST', '/classes/OpenPatient', { body: patientBody({ mrn: 5 }) });
  assert.equal(type.status, 400);
  assert.deepEqual(type.json, { code: 111, error: 'schema mismatch for OpenPatient.mrn; expected String but got Number' });
  const cls = await rest('POST', '/classes/NoSuchClassAtAll', { body: { a: 1 } });
  assert.equal(cls.status, 400);
  assert.deepEqual(cls.json, { code: 119, error: 'Permission denied' });
  const badSession = await rest('GET', '/classes/OpenPatient', { session: 'r:nonsense' });
  assert.equal(badSession.status, 400);
  assert.deepEqual(badSession.json, { code: 209, error: 'Invalid session token' });
  const badWhere = await rest('GET', '/classes/OpenPatient?where=notjson');
  assert.equal(badWhere.status, 400);
  assert.deepEqual(badWhere.json, { code: 107, error: 'where parameter is not valid JSON' });
});

test('login: 404 for bad credentials, GET with query string and POST with JSON both work', async () => {
  const username = uid('wire');
  const su = await rest('POST', '/users', { body: { username, password: 'pw-123456', role: 'patient' } });
  assert.equal(su.status, 201);
  assert.deepEqual(Object.keys(su.json).sort(), ['createdAt', 'objectId', 'sessionToken']);
  assert.match(su.json.sessionToken, /^r:[0-9a-f]{32}$/);
  assert.equal(su.headers.get('location'), `${SERVER_URL}/users/${su.json.objectId}`);

  const get = await rest('GET', `/login?username=${encodeURIComponent(username)}&password=pw-123456`);
  assert.equal(get.status, 200);
  const post = await rest('POST', '/login', { body: { username, password: 'pw-123456' } });
  assert.equal(post.status, 200);
  for (const r of [get, post]) {
    assert.equal(r.json.objectId, su.json.objectId);
    assert.equal(r.json.username, username);
    assert.equal(r.json.role, 'patient');
    assert.match(r.json.sessionToken, /^r:[0-9a-f]{32}$/);
    assert.equal(r.json.password, undefined);
    // Private to the user, as Parse 9; Chartkeep also lets admins administer the account.
    const own = { [su.json.objectId]: { read: true, write: true } };
    assert.deepEqual(r.json.ACL, ON_PARSE_POSTGRES ? own : { ...own, 'role:admin': { read: true, write: true } });
  }
  const bad = await rest('POST', '/login', { body: { username, password: 'nope' } });
  assert.equal(bad.status, 404);
  assert.deepEqual(bad.json, { code: 101, error: 'Invalid username/password.' });
  const noUser = await rest('POST', '/login', { body: { password: 'nope' } });
  assert.deepEqual([noUser.status, noUser.json], [400, { code: 200, error: 'username/email is required.' }]);
  const noPass = await rest('POST', '/login', { body: { username } });
  assert.deepEqual([noPass.status, noPass.json], [400, { code: 201, error: 'password is required.' }]);

  const me = await rest('GET', '/users/me', { session: post.json.sessionToken });
  assert.equal(me.status, 200);
  assert.equal(me.json.objectId, su.json.objectId);
  assert.equal(me.json.sessionToken, post.json.sessionToken);
  const out = await rest('POST', '/logout', { session: post.json.sessionToken });
  assert.deepEqual([out.status, out.json], [200, {}]);
  const again = await rest('GET', '/users/me', { session: post.json.sessionToken });
  assert.deepEqual([again.status, again.json], [400, { code: 209, error: 'Invalid session token' }]);
});

test('POST /batch -> 200 with a per-request array of {success}|{error}', async () => {
  const mount = new URL(SERVER_URL).pathname; // e.g. /parse
  const existing = await newPatient();
  const r = await rest('POST', '/batch', {
    body: {
      requests: [
        { method: 'POST', path: `${mount}/classes/OpenPatient`, body: patientBody() },
        { method: 'POST', path: `${mount}/classes/OpenPatient`, body: { fullName: 'no mrn' } },
        { method: 'PUT', path: `${mount}/classes/OpenPatient/${existing.id}`, body: { fullName: 'Batched' } },
        { method: 'DELETE', path: `${mount}/classes/OpenPatient/doesNotExist9` },
        { method: 'POST', path: `${mount}/classes/NoSuchClassAtAll`, body: { a: 1 } },
      ],
    },
  });
  assert.equal(r.status, 200);
  assert.equal(r.json.length, 5);
  assert.deepEqual(Object.keys(r.json[0].success).sort(), ['createdAt', 'objectId']);
  assert.deepEqual(r.json[1], { error: { code: 142, error: 'mrn is required' } });
  assert.deepEqual(Object.keys(r.json[2].success), ['updatedAt']);
  assert.deepEqual(r.json[3], { error: { code: 101, error: 'Object not found.' } });
  assert.deepEqual(r.json[4], { error: { code: 119, error: 'Permission denied' } });
  assert.equal((await new Parse.Query('OpenPatient').get(existing.id, MK)).get('fullName'), 'Batched');
});

test('SDK envelope: POST text/plain with _method/_ApplicationId/_SessionToken in the body', async () => {
  // This is how the JS SDK sends *every* request (find, get, PUT, DELETE included).
  const p = await newPatient({ fullName: 'Envelope' });
  const res = await rest('POST', '/classes/OpenPatient', {
    appId: null,
    contentType: 'text/plain',
    body: {
      where: { objectId: p.id },
      keys: 'fullName',
      limit: 1,
      _method: 'GET',
      _ApplicationId: APP_ID,
      _ClientVersion: 'js8.6.2',
      _InstallationId: '00000000-0000-4000-8000-000000000000',
    },
  });
  assert.equal(res.status, 200);
  assert.equal(res.json.results.length, 1);
  assert.equal(res.json.results[0].fullName, 'Envelope');
  assert.equal(res.json.results[0].status, undefined, 'keys honoured');

  const del = await rest('POST', `/classes/OpenPatient/${p.id}`, {
    appId: null,
    contentType: 'text/plain',
    body: { _method: 'DELETE', _ApplicationId: APP_ID, _MasterKey: MASTER_KEY },
  });
  assert.equal(del.status, 200);
  assert.deepEqual(del.json, {});
  assert.equal((await rest('GET', `/classes/OpenPatient/${p.id}`)).status, 404);
});

test('count=1&limit=0 -> {"results":[],"count":N}', async () => {
  const tag = uid('cnt');
  await newPatient({ status: tag });
  await newPatient({ status: tag });
  const where = encodeURIComponent(JSON.stringify({ status: tag }));
  const r = await rest('GET', `/classes/OpenPatient?where=${where}&count=1&limit=0`);
  assert.equal(r.status, 200);
  assert.deepEqual(r.json, { results: [], count: 2 });
});

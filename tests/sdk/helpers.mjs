// Shared helpers for the Parse-JS-SDK driven conformance suite.
//
// Environment:
//   PARSE_SERVER_URL   e.g. http://127.0.0.1:1337/parse   (required)
//   PARSE_APP_ID       application id                       (required)
//   PARSE_MASTER_KEY   master key                           (required)
//
// Every test file imports `Parse` from here, so the SDK is initialised once
// per test process (node --test runs each file in its own process).
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import assert from 'node:assert/strict';
import http from 'node:http';
import https from 'node:https';

const require = createRequire(import.meta.url);
export const Parse = require('parse/node');

function env(name) {
  const v = process.env[name];
  if (!v) {
    throw new Error(`${name} is not set (need PARSE_SERVER_URL, PARSE_APP_ID, PARSE_MASTER_KEY)`);
  }
  return v;
}

export const SERVER_URL = env('PARSE_SERVER_URL').replace(/\/+$/, '');
export const APP_ID = env('PARSE_APP_ID');
export const MASTER_KEY = env('PARSE_MASTER_KEY');

Parse.initialize(APP_ID, undefined, MASTER_KEY);
Parse.serverURL = SERVER_URL;
// NOTE: no Parse.User.enableUnsafeCurrentUser() here: with it, the SDK silently
// attaches the last signed-up user's session token to every request, which
// would hide ACL bugs. Only auth.test.mjs turns it on (its own process).

export const MK = { useMasterKey: true };

// When the suite is validated against the reference (stock Parse Server 9.10 on
// PostgreSQL) set PARSE_REFERENCE=parse-postgres: the few tests that pin down a
// documented Parse behaviour which Parse's *PostgreSQL adapter* gets wrong are
// skipped there (each says why). Against Chartkeep they always run.
export const ON_PARSE_POSTGRES = process.env.PARSE_REFERENCE === 'parse-postgres';
export function skipOnParsePostgres(reason) {
  return ON_PARSE_POSTGRES ? { skip: `Parse Server's PostgreSQL adapter: ${reason}` } : {};
}

/** A short unique tag so every test run creates its own data. */
export function uid(prefix = 'x') {
  return `${prefix}_${Date.now().toString(36)}_${randomUUID().slice(0, 8)}`;
}

// ---------------------------------------------------------------------------
// Raw REST access (for things the SDK hides: exact status codes and bodies).
// ---------------------------------------------------------------------------
export function rest(method, path, { body, master = false, session, headers = {}, appId = APP_ID, contentType = 'application/json' } = {}) {
  const h = { ...headers };
  if (appId !== null) h['X-Parse-Application-Id'] = appId;
  if (master) h['X-Parse-Master-Key'] = MASTER_KEY;
  if (session) h['X-Parse-Session-Token'] = session;
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  if (payload) {
    h['Content-Type'] = contentType;
    h['Content-Length'] = String(payload.length);
  }
  // node:http with a fresh connection per request (agent: false): Parse Server
  // closes keep-alive connections after some 403 answers, and a pooled fetch()
  // would then fail with "other side closed" on its next request.
  const url = new URL(SERVER_URL + path);
  const lib = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = lib.request(url, { method, headers: h, agent: false }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json;
        try {
          json = text ? JSON.parse(text) : undefined;
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode, json, text, headers: new Headers(Object.entries(res.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : String(v)])) });
      });
    });
    req.on('error', reject);
    if (payload) req.write(payload);
    req.end();
  });
}

// ---------------------------------------------------------------------------
// Seed schema setup (idempotent). Chartkeep loads both seed templates on first
// start; a stock Parse Server does not, so we create them via /schemas with the
// master key. Existing classes are left alone; missing fields on an existing
// class are added (so _User gains role/displayName/licenseNumber).
// ---------------------------------------------------------------------------
const SEED = JSON.parse(readFileSync(new URL('./seed-schema.json', import.meta.url), 'utf8'));
export const SEED_CLASSES = SEED.classes;

let seedPromise = null;
export function ensureSeedSchema() {
  if (!seedPromise) seedPromise = doEnsureSeedSchema();
  return seedPromise;
}

// PARSE_EXPECT_SEEDED=1 (set by the pytest wrapper against Chartkeep): never
// create anything; instead fail if a seed class/field is missing or differs
// (type, targetClass, required), since Chartkeep must load the seeds itself.
const EXPECT_SEEDED = ['1', 'true', 'yes'].includes(String(process.env.PARSE_EXPECT_SEEDED || '').toLowerCase());

async function verifySeedSchema() {
  const problems = [];
  for (const cls of SEED_CLASSES) {
    const got = await rest('GET', `/schemas/${cls.className}`, { master: true });
    if (got.status !== 200) {
      problems.push(`${cls.className}: GET /schemas/${cls.className} -> ${got.status} ${got.text}`);
      continue;
    }
    const fields = got.json.fields || {};
    for (const [name, want] of Object.entries(cls.fields)) {
      const have = fields[name];
      if (!have) {
        problems.push(`${cls.className}.${name}: missing (want ${JSON.stringify(want)})`);
        continue;
      }
      if (have.type !== want.type || (have.targetClass ?? null) !== (want.targetClass ?? null) || !!have.required !== !!want.required) {
        problems.push(`${cls.className}.${name}: have ${JSON.stringify(have)}, want ${JSON.stringify(want)}`);
      }
    }
  }
  if (problems.length) throw new Error(`seed schema not loaded as expected:\n  ${problems.join('\n  ')}`);
}

// Fields the suite itself needs beyond the seeds (the seeds have no GeoPoint/Bytes/Relation).
// Chartkeep lets only the master key add fields, as an administrator would through /schemas.
const SUITE_FIELDS = {
  OpenPatient: {
    homeLocation: { type: 'GeoPoint' },
    fingerprint: { type: 'Bytes' },
    relatedNotes: { type: 'Relation', targetClass: 'OpenMedicalNote' },
    careTeam: { type: 'Relation', targetClass: '_User' },
  },
};

async function ensureSuiteFields() {
  for (const [className, fields] of Object.entries(SUITE_FIELDS)) {
    const got = await rest('GET', `/schemas/${className}`, { master: true });
    const existing = got.json?.fields || {};
    const missing = Object.fromEntries(Object.entries(fields).filter(([k]) => !(k in existing)));
    if (!Object.keys(missing).length) continue;
    const put = await rest('PUT', `/schemas/${className}`, { master: true, body: { className, fields: missing } });
    if (put.status !== 200 && put.json?.code !== 255) {
      throw new Error(`PUT /schemas/${className} -> ${put.status} ${put.text}`);
    }
  }
}

// The suite checks Parse's own contract (types, operators, ACLs as a client sets them), so it
// works on open copies of the seed classes ("OpenPatient", ...: same fields, pointers re-targeted
// to the copies, Parse's default class-level permissions), created through /schemas as an app
// developer would. The seed classes themselves carry Chartkeep's clinical access policy, which
// access.test.mjs exercises.
export const OPEN_PREFIX = 'Open';
const SEED_NAMES = new Set(SEED_CLASSES.map((c) => c.className).filter((n) => !n.startsWith('_')));

function openCopy(cls) {
  const fields = {};
  for (const [name, spec] of Object.entries(cls.fields)) {
    fields[name] = spec.targetClass && SEED_NAMES.has(spec.targetClass)
      ? { ...spec, targetClass: OPEN_PREFIX + spec.targetClass }
      : { ...spec };
  }
  return { className: OPEN_PREFIX + cls.className, fields };
}

async function ensureOpenCopies() {
  for (const cls of SEED_CLASSES) {
    if (cls.className.startsWith('_')) continue;
    const copy = openCopy(cls);
    const got = await rest('GET', `/schemas/${copy.className}`, { master: true });
    if (got.status === 200) continue;
    const post = await rest('POST', `/schemas/${copy.className}`, { master: true, body: copy });
    if (post.status !== 200 && post.json?.code !== 103) {
      throw new Error(`POST /schemas/${copy.className} -> ${post.status} ${post.text}`);
    }
  }
}

async function doEnsureSeedSchema() {
  if (EXPECT_SEEDED) {
    await verifySeedSchema();
    await ensureOpenCopies();
    return ensureSuiteFields();
  }
  for (const cls of SEED_CLASSES) {
    const got = await rest('GET', `/schemas/${cls.className}`, { master: true });
    if (got.status === 200) {
      const existing = got.json.fields || {};
      const missing = Object.fromEntries(Object.entries(cls.fields).filter(([k]) => !(k in existing)));
      if (Object.keys(missing).length) {
        const put = await rest('PUT', `/schemas/${cls.className}`, {
          master: true,
          body: { className: cls.className, fields: missing },
        });
        // 255 = field already exists (a concurrent test process added it first)
        if (put.status !== 200 && put.json?.code !== 255) {
          throw new Error(`PUT /schemas/${cls.className} -> ${put.status} ${put.text}`);
        }
      }
      continue;
    }
    const post = await rest('POST', `/schemas/${cls.className}`, {
      master: true,
      body: { className: cls.className, fields: cls.fields },
    });
    // 103 = "Class X already exists." (another test process won the race)
    if (post.status !== 200 && post.json?.code !== 103) {
      throw new Error(`POST /schemas/${cls.className} -> ${post.status} ${post.text}`);
    }
  }
  await ensureOpenCopies();
  await ensureSuiteFields();
}

// ---------------------------------------------------------------------------
// Users & fixtures
// ---------------------------------------------------------------------------
export const PASSWORD = 'S3cret-pass!';

/** Signs up a fresh user (role "patient") and returns {user, token, username}. */
/** A staff account, created the way the clinical policy wants: by the master key, then logged in. */
export async function staff(role) {
  const username = uid(role);
  const body = { username, password: PASSWORD, role, displayName: `${role} ${username}` };
  const r = await rest('POST', '/users', { master: true, body });
  if (r.status !== 201) throw new Error(`staff account not created: ${r.status} ${r.text}`);
  const user = await Parse.User.logIn(username, PASSWORD);
  const token = user.getSessionToken();
  return { user, token, id: user.id, opts: { sessionToken: token } };
}

export async function newUser(extra = {}) {
  const username = uid('user');
  const user = new Parse.User();
  user.set('username', username);
  user.set('password', PASSWORD);
  user.set('email', `${username}@example.test`);
  user.set('role', 'patient');
  for (const [k, v] of Object.entries(extra)) user.set(k, v);
  await user.signUp();
  const token = user.getSessionToken();
  assert.ok(token, 'signUp returns a session token');
  return { user, token, username };
}

export async function newPatient(attrs = {}, options = MK) {
  const p = new Parse.Object('OpenPatient');
  p.set({
    mrn: uid('MRN'),
    fullName: 'Ada Lovelace',
    dateOfBirth: new Date('1815-12-10T00:00:00.000Z'),
    status: 'active',
    ...attrs,
  });
  await p.save(null, options);
  return p;
}

export async function newEncounter(patient, attrs = {}, options = MK) {
  const e = new Parse.Object('OpenEncounter');
  e.set({
    patient,
    encounterNumber: uid('ENC'),
    type: 'outpatient',
    startedAt: new Date('2024-01-15T09:00:00.000Z'),
    status: 'open',
    ...attrs,
  });
  await e.save(null, options);
  return e;
}

export async function newNote(patient, encounter, author, attrs = {}, options = MK) {
  const n = new Parse.Object('OpenMedicalNote');
  n.set({
    patient,
    encounter,
    author,
    title: uid('note'),
    noteType: 'progress',
    currentVersionNumber: 1,
    status: 'draft',
    ...attrs,
  });
  await n.save(null, options);
  return n;
}

/** Asserts `promise` rejects with a Parse.Error of `code`; returns the error. */
export async function expectParseError(promise, code, messageIncludes) {
  let err;
  try {
    await promise;
  } catch (e) {
    err = e;
  }
  assert.ok(err, `expected Parse error ${code}, but the call succeeded`);
  assert.equal(err.code, code, `expected code ${code}, got ${err.code}: ${err.message}`);
  if (messageIncludes !== undefined) {
    assert.ok(
      String(err.message).includes(messageIncludes),
      `expected message to include ${JSON.stringify(messageIncludes)}, got ${JSON.stringify(err.message)}`,
    );
  }
  return err;
}

export function ids(objects) {
  return objects.map((o) => o.id).sort();
}

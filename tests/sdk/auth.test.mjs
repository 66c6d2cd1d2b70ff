// Sign up, log in, become, /users/me, log out, and the auth error codes.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { Parse, MK, PASSWORD, uid, newUser, ensureSeedSchema, expectParseError, rest } from './helpers.mjs';

// This file (its own process) exercises the SDK's "current user" machinery.
// It stays off by default (so newUser() does not silently become current and
// its token does not ride along on later requests); tests that need it wrap
// their body in withCurrentUser().
async function withCurrentUser(fn) {
  Parse.User.enableUnsafeCurrentUser();
  try {
    return await fn();
  } finally {
    if (Parse.User.current()) await Parse.User.logOut().catch(() => {});
    Parse.User.disableUnsafeCurrentUser();
  }
}

/** newUser() without making the new user current, even inside withCurrentUser. */
async function freshUser(extra) {
  Parse.User.disableUnsafeCurrentUser();
  try {
    return await newUser(extra);
  } finally {
    Parse.User.enableUnsafeCurrentUser();
  }
}

before(async () => {
  await ensureSeedSchema();
});

test('signUp with the required role returns a session and persists custom fields', () => withCurrentUser(async () => {
  const username = uid('signup');
  const user = new Parse.User();
  user.set({ username, password: PASSWORD, role: 'patient', displayName: 'Pat Ient', licenseNumber: 'L-1' });
  await user.signUp();
  assert.match(user.id, /^[A-Za-z0-9]+$/);
  assert.ok(user.getSessionToken()?.length > 0, 'session token issued');
  assert.ok(user.createdAt instanceof Date);
  assert.equal(Parse.User.current()?.id, user.id, 'signed-up user becomes current');

  const fetched = await new Parse.Query(Parse.User).get(user.id, MK);
  assert.equal(fetched.get('username'), username);
  assert.equal(fetched.get('role'), 'patient');
  assert.equal(fetched.get('displayName'), 'Pat Ient');
  assert.equal(fetched.get('licenseNumber'), 'L-1');
  assert.equal(fetched.get('password'), undefined, 'password is never returned');
  assert.equal(fetched.get('_hashed_password'), undefined);
}));

test('signUp without the required role fails with 142 naming the field', async () => {
  const user = new Parse.User();
  user.set({ username: uid('norole'), password: PASSWORD });
  await expectParseError(user.signUp(), 142, 'role');
});

test('duplicate username -> 202', async () => {
  const { username } = await newUser();
  const dup = new Parse.User();
  dup.set({ username, password: 'other-pass', role: 'patient' });
  const err = await expectParseError(dup.signUp(), 202);
  assert.equal(err.message, 'Account already exists for this username.');
});

test('duplicate email -> 203', async () => {
  const email = `${uid('mail')}@example.test`;
  await newUser({ email });
  const dup = new Parse.User();
  dup.set({ username: uid('dupmail'), password: PASSWORD, role: 'patient', email });
  await expectParseError(dup.signUp(), 203);
});

test('server rejects a user without username (200) or password (201)', async () => {
  // The SDK's signUp() refuses these client-side, so go through save(), which
  // POSTs /users exactly as an app that bypasses signUp would.
  const noName = new Parse.User();
  await expectParseError(noName.save({ password: PASSWORD, role: 'patient' }), 200);
  const noPass = new Parse.User();
  await expectParseError(noPass.save({ username: uid('nopass'), role: 'patient' }), 201);
});

test('logIn returns the user with a fresh session; password never leaks', () => withCurrentUser(async () => {
  const { user, username, token: signupToken } = await newUser({ displayName: 'Log In' });
  const loggedIn = await Parse.User.logIn(username, PASSWORD);
  assert.equal(loggedIn.id, user.id);
  assert.equal(loggedIn.get('username'), username);
  assert.equal(loggedIn.get('role'), 'patient');
  assert.equal(loggedIn.get('displayName'), 'Log In');
  assert.equal(loggedIn.get('password'), undefined);
  const token = loggedIn.getSessionToken();
  assert.ok(token);
  assert.notEqual(token, signupToken, 'each login creates a new session');
  assert.equal(Parse.User.current().id, user.id);
  assert.equal((await Parse.User.me(token)).id, user.id);
  // Parse Server revokes older sessions of the same user that carry the same
  // X-Parse-Installation-Id (the SDK sends one per process): the signup session
  // is gone after logging in again from the same installation.
  await expectParseError(Parse.User.me(signupToken), 209);
}));

test('logIn via POST (usePost) works like GET', async () => {
  const { user, username } = await newUser();
  const loggedIn = await Parse.User.logIn(username, PASSWORD, { usePost: true });
  assert.equal(loggedIn.id, user.id);
  assert.ok(loggedIn.getSessionToken());
  assert.equal((await Parse.User.me(loggedIn.getSessionToken())).id, user.id);
});

test('logIn errors: bad password / unknown user -> 101, missing username -> 200, missing password -> 201', () => withCurrentUser(async () => {
  const { username } = await freshUser();
  const bad = await expectParseError(Parse.User.logIn(username, 'wrong-password'), 101);
  assert.equal(bad.message, 'Invalid username/password.');
  const unknown = await expectParseError(Parse.User.logIn(uid('ghost'), PASSWORD), 101);
  assert.equal(unknown.message, bad.message, 'unknown user and bad password are indistinguishable');
  await expectParseError(Parse.User.logIn('', PASSWORD), 200);
  await expectParseError(Parse.User.logIn(username, ''), 201);
  assert.equal(Parse.User.current(), null, 'failed logins leave no current user');
}));

test('become(token) restores the user and makes it current', () => withCurrentUser(async () => {
  const { user, token } = await freshUser({ displayName: 'Becomer' });
  assert.equal(Parse.User.current(), null);
  const became = await Parse.User.become(token);
  assert.equal(became.id, user.id);
  assert.equal(became.get('displayName'), 'Becomer');
  assert.equal(became.getSessionToken(), token);
  assert.equal(Parse.User.current().id, user.id);
  assert.equal(Parse.User.current().getSessionToken(), token);
  assert.equal(became.isCurrent(), true);
  // Requests now carry the current user's session implicitly: /users/me works.
  const me = await Parse.User.currentAsync();
  await me.fetch();
  assert.equal(me.get('displayName'), 'Becomer');
}));

test('/users/me via Parse.User.me(token) returns the session owner', async () => {
  const { user, token, username } = await newUser();
  const me = await Parse.User.me(token);
  assert.equal(me.id, user.id);
  assert.equal(me.get('username'), username);
  assert.equal(me.get('role'), 'patient');
  assert.equal(me.getSessionToken(), token);
});

test('logOut invalidates the session token server-side', () => withCurrentUser(async () => {
  const { user, token } = await freshUser();
  await Parse.User.become(token);
  await Parse.User.logOut();
  assert.equal(Parse.User.current(), null);
  await expectParseError(Parse.User.me(token), 209);
  await expectParseError(Parse.User.become(token), 209);
  assert.equal(Parse.User.current(), null);
  // The user itself still exists.
  const stillThere = await new Parse.Query(Parse.User).get(user.id, MK);
  assert.equal(stillThere.id, user.id);
}));

test('invalid session token -> 209 on any request', async () => {
  const err = await expectParseError(Parse.User.me('r:not-a-real-token'), 209);
  assert.equal(err.message, 'Invalid session token');
  await expectParseError(new Parse.Query('OpenPatient').find({ sessionToken: 'r:not-a-real-token' }), 209);
  const p = new Parse.Object('OpenPatient');
  await expectParseError(
    p.save(
      { mrn: uid('M'), fullName: 'x', dateOfBirth: new Date(), status: 'active' },
      { sessionToken: 'r:not-a-real-token' },
    ),
    209,
  );
});

test('a user can update their own record but not another user (private users)', async () => {
  const a = await newUser();
  const b = await newUser();
  // Own update with own session.
  a.user.set('displayName', 'Alice A');
  await a.user.save(null, { sessionToken: a.token });
  const reread = await new Parse.Query(Parse.User).get(a.user.id, { sessionToken: a.token });
  assert.equal(reread.get('displayName'), 'Alice A');

  // B cannot see A at all (new users get an owner-only ACL) ...
  await expectParseError(new Parse.Query(Parse.User).get(a.user.id, { sessionToken: b.token }), 101);
  const found = await new Parse.Query(Parse.User).equalTo('username', a.username).find({ sessionToken: b.token });
  assert.deepEqual(found, []);
  // ... and cannot modify A.
  const asSeenByB = Parse.User.createWithoutData(a.user.id);
  asSeenByB.set('displayName', 'hacked');
  const err = await asSeenByB.save(null, { sessionToken: b.token }).then(
    () => null,
    (e) => e,
  );
  assert.ok(err, 'B must not be able to modify A');
  assert.ok([101, 206].includes(err.code), `unexpected code ${err.code}: ${err.message}`);
  const after = await new Parse.Query(Parse.User).get(a.user.id, MK);
  assert.equal(after.get('displayName'), 'Alice A');
});

test('signup ACL: the new user is readable/writable by itself only', async () => {
  const { user, token } = await newUser();
  const me = await Parse.User.me(token);
  const acl = me.getACL();
  assert.ok(acl, 'user has an ACL');
  assert.equal(acl.getReadAccess(user.id), true);
  assert.equal(acl.getWriteAccess(user.id), true);
  assert.equal(acl.getPublicReadAccess(), false);
  assert.equal(acl.getPublicWriteAccess(), false);
});

test('raw: GET /users/me without a session -> 400 {code:209}', async () => {
  const r = await rest('GET', '/users/me');
  assert.equal(r.status, 400);
  assert.equal(r.json.code, 209);
});

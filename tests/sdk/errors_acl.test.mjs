// Error codes a client sees, and ACL isolation between users.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { Parse, MK, uid, newUser, newPatient, ensureSeedSchema, expectParseError, rest } from './helpers.mjs';

let alice;
let bob;

before(async () => {
  await ensureSeedSchema();
  alice = await newUser({ displayName: 'Alice' });
  bob = await newUser({ displayName: 'Bob' });
});

function patientAttrs(extra = {}) {
  return { mrn: uid('MRN'), fullName: 'E Rror', dateOfBirth: new Date('2001-01-01T00:00:00.000Z'), status: 'active', ...extra };
}

test('required field missing -> 142 and the message names the field', async () => {
  for (const missing of ['mrn', 'fullName', 'dateOfBirth', 'status']) {
    const attrs = patientAttrs();
    delete attrs[missing];
    const p = new Parse.Object('OpenPatient');
    const err = await expectParseError(p.save(attrs), 142, missing);
    assert.equal(err.message, `${missing} is required`);
  }
  // Pointer / Boolean / Number required fields too.
  const profile = new Parse.Object('OpenPatientProfile');
  await expectParseError(profile.save({ user: alice.user, medicalRecordNumber: uid('m'), displayName: 'x' }), 142, 'isActive');
  const note = new Parse.Object('OpenMedicalNote');
  await expectParseError(note.save({ title: 't', noteType: 'n', currentVersionNumber: 1, status: 's' }), 142);
  // A required field set to null counts as missing.
  await expectParseError(new Parse.Object('OpenPatient').save(patientAttrs({ mrn: null })), 142, 'mrn');
});

test('wrong type -> 111', async () => {
  const cases = [
    ['mrn', 12345],
    ['dateOfBirth', 'not a date'],
    ['allergies', 'not an array'],
    ['primaryClinician', 'not a pointer'],
  ];
  for (const [key, value] of cases) {
    const p = new Parse.Object('OpenPatient');
    const err = await expectParseError(p.save(patientAttrs({ [key]: value }), MK), 111);
    assert.match(err.message, new RegExp(key));
  }
  // Pointer to the wrong class
  const enc = new Parse.Object('OpenEncounter');
  const wrong = Parse.Object.extend('OpenEncounter').createWithoutData('abcdefghij');
  const err = await expectParseError(
    enc.save({ patient: wrong, encounterNumber: 'E', type: 't', startedAt: new Date(), status: 's' }, MK),
    111,
  );
  assert.equal(err.message, 'schema mismatch for OpenEncounter.patient; expected Pointer<OpenPatient> but got Pointer<OpenEncounter>');
  // Number field given a string
  const profile = new Parse.Object('OpenPatientProfile');
  await expectParseError(
    profile.save({ user: alice.user, medicalRecordNumber: 'm', displayName: 'x', isActive: 'yes' }, MK),
    111,
    'isActive',
  );
});

test('wrong type on update -> 111 and the stored value is unchanged', async () => {
  const p = await newPatient({ sexAtBirth: 'F' });
  const stale = Parse.Object.extend('OpenPatient').createWithoutData(p.id);
  stale.set('sexAtBirth', 42);
  const err = await expectParseError(stale.save(null, MK), 111);
  assert.equal(err.message, 'schema mismatch for OpenPatient.sexAtBirth; expected String but got Number');
  assert.equal((await new Parse.Query('OpenPatient').get(p.id, MK)).get('sexAtBirth'), 'F');
});

test('unknown class with client class creation off -> 119 for non-master clients', async () => {
  const cls = uid('NoSuchClass').replace(/[^A-Za-z0-9_]/g, '_');
  const o = new Parse.Object(cls);
  const err = await expectParseError(o.save({ a: 1 }), 119);
  assert.equal(err.message, 'Permission denied');
  // With a session it is the same.
  await expectParseError(new Parse.Object(cls).save({ a: 1 }, { sessionToken: alice.token }), 119);
  // Querying an unknown class as a client is refused the same way.
  await expectParseError(new Parse.Query(cls).find(), 119);
  // Nothing was created.
  const schema = await rest('GET', `/schemas/${cls}`, { master: true });
  assert.equal(schema.status, 400);
  assert.deepEqual(schema.json, { code: 103, error: `Class ${cls} does not exist.` });
});

test('the master key may create a class even with client class creation off', async () => {
  const cls = uid('MasterMade').replace(/[^A-Za-z0-9_]/g, '_');
  const o = new Parse.Object(cls);
  await o.save({ a: 1 }, MK);
  assert.ok(o.id);
  const got = await new Parse.Query(cls).get(o.id, MK);
  assert.equal(got.get('a'), 1);
  // clean up: empty the class, then drop it
  await o.destroy(MK);
  const del = await rest('DELETE', `/schemas/${cls}`, { master: true });
  assert.equal(del.status, 200);
  assert.deepEqual(del.json, {});
});

test('invalid field names -> 105', async () => {
  const p = new Parse.Object('OpenPatient');
  const err = await expectParseError(p.save(patientAttrs({ '1bad': 1 }), MK), 105);
  assert.match(err.message, /1bad/);
});

test('ACL: an object readable only by Alice is invisible to Bob and anonymous', async () => {
  const acl = new Parse.ACL(alice.user);
  const mine = new Parse.Object('OpenPatient');
  mine.setACL(acl);
  await mine.save(patientAttrs({ fullName: 'Alice Private' }), { sessionToken: alice.token });

  // Alice sees it
  const own = await new Parse.Query('OpenPatient').get(mine.id, { sessionToken: alice.token });
  assert.equal(own.get('fullName'), 'Alice Private');
  const ownAcl = own.getACL();
  assert.equal(ownAcl.getReadAccess(alice.user.id), true);
  assert.equal(ownAcl.getWriteAccess(alice.user.id), true);
  assert.equal(ownAcl.getPublicReadAccess(), false);
  assert.deepEqual(ownAcl.toJSON(), { [alice.user.id]: { read: true, write: true } });

  // Bob: get -> 101 (not 403), find/count do not include it
  const err = await expectParseError(new Parse.Query('OpenPatient').get(mine.id, { sessionToken: bob.token }), 101);
  assert.equal(err.message, 'Object not found.');
  const bobFind = await new Parse.Query('OpenPatient').equalTo('mrn', mine.get('mrn')).find({ sessionToken: bob.token });
  assert.deepEqual(bobFind, []);
  assert.equal(await new Parse.Query('OpenPatient').equalTo('mrn', mine.get('mrn')).count({ sessionToken: bob.token }), 0);
  // Anonymous: same
  await expectParseError(new Parse.Query('OpenPatient').get(mine.id), 101);
  assert.deepEqual(await new Parse.Query('OpenPatient').equalTo('mrn', mine.get('mrn')).find(), []);
  // Master key sees everything
  assert.equal((await new Parse.Query('OpenPatient').get(mine.id, MK)).get('fullName'), 'Alice Private');

  // Bob cannot update or delete it: 101, and nothing changes
  const asBob = Parse.Object.extend('OpenPatient').createWithoutData(mine.id);
  asBob.set('fullName', 'Bob was here');
  await expectParseError(asBob.save(null, { sessionToken: bob.token }), 101);
  await expectParseError(Parse.Object.extend('OpenPatient').createWithoutData(mine.id).destroy({ sessionToken: bob.token }), 101);
  assert.equal((await new Parse.Query('OpenPatient').get(mine.id, MK)).get('fullName'), 'Alice Private');

  // Included through a pointer, it is not leaked to Bob either
  const enc = new Parse.Object('OpenEncounter');
  await enc.save({ patient: mine, encounterNumber: uid('E'), type: 't', startedAt: new Date(), status: 'open' }, MK);
  const encAsBob = await new Parse.Query('OpenEncounter').include('patient').get(enc.id, { sessionToken: bob.token });
  assert.equal(encAsBob.has('patient'), false, 'unreadable include target is dropped');
  // matchesQuery does not see through the ACL either
  const viaSub = await new Parse.Query('OpenEncounter')
    .equalTo('objectId', enc.id)
    .matchesQuery('patient', new Parse.Query('OpenPatient').equalTo('fullName', 'Alice Private'))
    .find({ sessionToken: bob.token });
  assert.deepEqual(viaSub, []);
});

test('ACL: public read, owner write -> Bob reads but cannot write', async () => {
  const acl = new Parse.ACL(alice.user);
  acl.setPublicReadAccess(true);
  const p = new Parse.Object('OpenPatient');
  p.setACL(acl);
  await p.save(patientAttrs({ fullName: 'Shared Read' }), { sessionToken: alice.token });

  const asBob = await new Parse.Query('OpenPatient').get(p.id, { sessionToken: bob.token });
  assert.equal(asBob.get('fullName'), 'Shared Read');
  asBob.set('fullName', 'Bob edit');
  await expectParseError(asBob.save(null, { sessionToken: bob.token }), 101);
  await expectParseError(asBob.destroy({ sessionToken: bob.token }), 101);
  // Alice can write
  const asAlice = await new Parse.Query('OpenPatient').get(p.id, { sessionToken: alice.token });
  asAlice.set('fullName', 'Alice edit');
  await asAlice.save(null, { sessionToken: alice.token });
  assert.equal((await new Parse.Query('OpenPatient').get(p.id)).get('fullName'), 'Alice edit');
});

test('ACL: write-only-for-Bob grant lets Bob update but he still cannot read', async () => {
  const acl = new Parse.ACL();
  acl.setReadAccess(alice.user, true);
  acl.setWriteAccess(alice.user, true);
  acl.setWriteAccess(bob.user, true);
  const p = new Parse.Object('OpenPatient');
  p.setACL(acl);
  await p.save(patientAttrs({ fullName: 'Write Grant' }), MK);
  const asBob = Parse.Object.extend('OpenPatient').createWithoutData(p.id);
  asBob.set('sexAtBirth', 'X');
  await asBob.save(null, { sessionToken: bob.token });
  await expectParseError(new Parse.Query('OpenPatient').get(p.id, { sessionToken: bob.token }), 101);
  assert.equal((await new Parse.Query('OpenPatient').get(p.id, { sessionToken: alice.token })).get('sexAtBirth'), 'X');
});

test('ACL: objects saved without an ACL are public', async () => {
  const p = new Parse.Object('OpenPatient');
  await p.save(patientAttrs({ fullName: 'Public' }), { sessionToken: alice.token });
  const got = await new Parse.Query('OpenPatient').get(p.id, { sessionToken: bob.token });
  assert.equal(got.get('fullName'), 'Public');
  assert.equal(got.getACL(), null, 'no ACL field when none was set');
  got.set('fullName', 'Public edited by Bob');
  await got.save(null, { sessionToken: bob.token });
  assert.equal((await new Parse.Query('OpenPatient').get(p.id)).get('fullName'), 'Public edited by Bob');
});

test('ACL: mixed visibility in one find — each user sees exactly their own', async () => {
  const tag = uid('acl');
  const make = async (owner, name) => {
    const o = new Parse.Object('OpenPatient');
    o.setACL(new Parse.ACL(owner.user));
    await o.save(patientAttrs({ fullName: name, status: tag }), { sessionToken: owner.token });
    return o;
  };
  await make(alice, 'A1');
  await make(alice, 'A2');
  await make(bob, 'B1');
  const pub = new Parse.Object('OpenPatient');
  await pub.save(patientAttrs({ fullName: 'P1', status: tag }), MK);
  const seen = async (opts) =>
    (await new Parse.Query('OpenPatient').equalTo('status', tag).ascending('fullName').find(opts)).map((o) => o.get('fullName'));
  assert.deepEqual(await seen({ sessionToken: alice.token }), ['A1', 'A2', 'P1']);
  assert.deepEqual(await seen({ sessionToken: bob.token }), ['B1', 'P1']);
  assert.deepEqual(await seen({}), ['P1']);
  assert.deepEqual(await seen(MK), ['A1', 'A2', 'B1', 'P1']);
  assert.equal(await new Parse.Query('OpenPatient').equalTo('status', tag).count({ sessionToken: bob.token }), 2);
});

test('ACL: role-based read via Parse.Role', async () => {
  const roleName = uid('clinicians').replace(/[^A-Za-z0-9_]/g, '_');
  const roleAcl = new Parse.ACL();
  roleAcl.setPublicReadAccess(true);
  const role = new Parse.Role(roleName, roleAcl);
  role.getUsers().add(bob.user);
  await role.save(null, MK);

  const acl = new Parse.ACL();
  acl.setRoleReadAccess(roleName, true);
  const p = new Parse.Object('OpenPatient');
  p.setACL(acl);
  await p.save(patientAttrs({ fullName: 'Role Read' }), MK);
  assert.equal((await new Parse.Query('OpenPatient').get(p.id, { sessionToken: bob.token })).get('fullName'), 'Role Read');
  await expectParseError(new Parse.Query('OpenPatient').get(p.id, { sessionToken: alice.token }), 101);
  const raw = await rest('GET', `/classes/OpenPatient/${p.id}`, { master: true });
  assert.deepEqual(raw.json.ACL, { [`role:${roleName}`]: { read: true } });
});

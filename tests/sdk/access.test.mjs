// The clinical access policy through the official SDK: seed classes, roles, care teams,
// break-the-glass, and the auth errors an app meets. (Parse conformance lives in the other files,
// on open copies of the seed classes; these tests run against Chartkeep only.)
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { Parse, MK, uid, rest, ensureSeedSchema, expectParseError, PASSWORD, ON_PARSE_POSTGRES, staff, newUser } from './helpers.mjs';

const skip = ON_PARSE_POSTGRES ? { skip: 'Chartkeep access policy (not a Parse behaviour)' } : {};

before(async () => { await ensureSeedSchema(); });

function patientAttrs() {
  return { mrn: uid('MRN'), fullName: 'Grace Hopper', dateOfBirth: new Date('1906-12-09T00:00:00.000Z'), status: 'active' };
}

test('a physician registers a patient and charts; a physician outside the team sees nothing', skip, async () => {
  const doc = await staff('physician');
  const outsider = await staff('physician');
  const p = new Parse.Object('Patient');
  await p.save(patientAttrs(), { sessionToken: doc.token });
  const e = new Parse.Object('Encounter');
  await e.save({ patient: p, encounterNumber: uid('E'), type: 'inpatient', startedAt: new Date(), status: 'open' },
    { sessionToken: doc.token });
  assert.equal((await new Parse.Query('Patient').get(p.id, { sessionToken: doc.token })).get('fullName'), 'Grace Hopper');
  const acl = p.getACL() || (await new Parse.Query('Patient').get(p.id, MK)).getACL();
  assert.equal(acl.getRoleReadAccess(`careTeam_Patient_${p.id}`), true);
  await expectParseError(new Parse.Query('Patient').get(p.id, { sessionToken: outsider.token }), 101);
  assert.deepEqual(await new Parse.Query('Encounter').equalTo('patient', p).find({ sessionToken: outsider.token }), []);
  await expectParseError(new Parse.Object('Encounter').save(
    { patient: p, encounterNumber: uid('E'), type: 'inpatient', startedAt: new Date(), status: 'open' },
    { sessionToken: outsider.token }), 119, 'care team');
});

test('adding a care-team member opens the whole chart; break-the-glass opens it read-only', skip, async () => {
  const doc = await staff('physician');
  const nurse = await staff('nurse');
  const er = await staff('physician');
  const p = new Parse.Object('Patient');
  await p.save(patientAttrs(), { sessionToken: doc.token });
  await expectParseError(new Parse.Query('Patient').get(p.id, { sessionToken: nurse.token }), 101);
  const member = new Parse.Object('CareTeamMember');
  await member.save({ patient: p, user: nurse.user, reason: 'ward nurse' }, { sessionToken: doc.token });
  assert.equal((await new Parse.Query('Patient').get(p.id, { sessionToken: nurse.token })).id, p.id);
  await member.destroy({ sessionToken: doc.token });
  await expectParseError(new Parse.Query('Patient').get(p.id, { sessionToken: nurse.token }), 101);

  await expectParseError(Parse.Cloud.run('breakTheGlass', { patient: p.toPointer(), reason: 'x' }, { sessionToken: er.token }), 142);
  const res = await Parse.Cloud.run('breakTheGlass', { patient: p.toPointer(), reason: 'Cardiac arrest, chart needed now' },
    { sessionToken: er.token });
  assert.equal(res.objectId, p.id);
  const seen = await new Parse.Query('Patient').get(p.id, { sessionToken: er.token });
  assert.equal(seen.get('mrn'), p.get('mrn'));
  seen.set('status', 'inactive');
  await expectParseError(seen.save(null, { sessionToken: er.token }), 101);
});

test('roles: only an admin assigns seed roles; a patient creates no Parse.Role with a role ACL through the SDK', skip, async () => {
  const admin = await staff('admin');
  const doc = await staff('physician');
  const self = new Parse.User();
  await expectParseError(self.signUp({ username: uid('mallory'), password: PASSWORD, role: 'admin' }), 119, 'assigned by an administrator');
  const mine = doc.user;
  mine.set('role', 'admin');
  await expectParseError(mine.save(null, { sessionToken: doc.token }), 119);
  mine.revert();
  assert.equal((await new Parse.Query(Parse.User).get(doc.id, MK)).get('role'), 'physician');

  const roleAcl = new Parse.ACL();
  roleAcl.setPublicReadAccess(true);
  roleAcl.setRoleWriteAccess('admin', true);
  const oncall = new Parse.Role(uid('oncall'), roleAcl);
  const patient = await newUser();
  await expectParseError(oncall.save(null, { sessionToken: patient.token }), 119, 'Permission denied for action create on class _Role.');
  oncall.getUsers().add(doc.user);
  await oncall.save(null, { sessionToken: admin.token });
  const secret = new Parse.Object('OpenPatient');
  const acl = new Parse.ACL();
  acl.setRoleReadAccess(oncall, true);
  await secret.save({ ...patientAttrs(), ACL: acl }, MK);
  assert.equal((await new Parse.Query('OpenPatient').get(secret.id, { sessionToken: doc.token })).id, secret.id);
  oncall.getUsers().remove(doc.user);
  await oncall.save(null, { sessionToken: admin.token });
  await expectParseError(new Parse.Query('OpenPatient').get(secret.id, { sessionToken: doc.token }), 101);
});

test('auth errors an app meets: wrong password 101, revoked token 209', skip, async () => {
  const doc = await staff('nurse');
  await expectParseError(Parse.User.logIn(doc.user.get('username'), 'wrong-password'), 101, 'Invalid username/password.');
  assert.equal((await new Parse.Query('Patient').find({ sessionToken: doc.token })).length, 0);
  await rest('POST', '/logout', { session: doc.token });
  await expectParseError(new Parse.Query('Patient').find({ sessionToken: doc.token }), 209);
});

test('a locked account: after 5 wrong passwords even the right one is refused (101)', skip, async () => {
  const nurse = await staff('nurse');
  const name = nurse.user.get('username');
  for (let i = 0; i < 5; i += 1) {
    await expectParseError(Parse.User.logIn(name, 'not-the-password'), 101, 'Invalid username/password.');
  }
  await expectParseError(Parse.User.logIn(name, PASSWORD), 101, 'Your account is locked due to multiple failed login attempts');
  // the same answer for a name that does not exist, so locking reveals nothing
  const ghost = uid('ghost');
  for (let i = 0; i < 5; i += 1) await expectParseError(Parse.User.logIn(ghost, 'whatever-pass'), 101);
  await expectParseError(Parse.User.logIn(ghost, 'whatever-pass'), 101, 'Your account is locked');
  // sessions opened before the lock keep working
  assert.equal((await new Parse.Query('Patient').find({ sessionToken: nurse.token })).length, 0);
});

test('audit events: any clinician appends, the server names them; only auditors read them; never changed', skip, async () => {
  const doc = await staff('physician');
  const auditor = await staff('auditor');
  const ev = new Parse.Object('AuditEvent');
  await ev.save({ actor: doc.user, eventType: 'view', timestamp: new Date() }, { sessionToken: doc.token });
  await expectParseError(new Parse.Query('AuditEvent').get(ev.id, { sessionToken: doc.token }), 119);
  assert.equal((await new Parse.Query('AuditEvent').get(ev.id, { sessionToken: auditor.token })).get('eventType'), 'view');
  ev.set('eventType', 'tampered');
  await expectParseError(ev.save(null, { sessionToken: doc.token }), 119);
  await expectParseError(ev.destroy({ useMasterKey: true }), 119);
  // an event sent in someone else's name is recorded in the sender's, at the server's time
  const forged = new Parse.Object('AuditEvent');
  await forged.save({ actor: auditor.user, eventType: 'view', timestamp: new Date(0) }, { sessionToken: doc.token });
  const stored = await new Parse.Query('AuditEvent').get(forged.id, { sessionToken: auditor.token });
  assert.equal(stored.get('actor').id, doc.user.id);
  assert.equal(stored.get('source'), 'client');
  assert.ok(stored.get('timestamp').getTime() > Date.now() - 60000);
});

test('run-time roles: a nurse makes a front-desk role, shares with it, and the role\'s ACL governs it', skip, async () => {
  const nurse = await staff('nurse');
  const clerk = await staff('scribe');
  const night = await staff('scribe');
  const outsider = await staff('physician');
  const roleAcl = new Parse.ACL();
  roleAcl.setReadAccess(nurse.user, true);
  roleAcl.setWriteAccess(nurse.user, true);
  const desk = new Parse.Role(uid('frontDesk'), roleAcl);
  desk.getUsers().add(clerk.user);
  await desk.save(null, nurse.opts);
  const memo = new Parse.Object('OpenPatient');
  const acl = new Parse.ACL();
  acl.setRoleReadAccess(desk, true);
  await memo.save({ ...patientAttrs(), ACL: acl }, MK);
  // a member reads; a non-member gets 101 and finds nothing
  assert.equal((await new Parse.Query('OpenPatient').get(memo.id, clerk.opts)).id, memo.id);
  await expectParseError(new Parse.Query('OpenPatient').get(memo.id, outsider.opts), 101, 'Object not found.');
  assert.deepEqual(await new Parse.Query('OpenPatient').equalTo('objectId', memo.id).find(outsider.opts), []);
  // only the role's ACL changes it: the member and an outsider cannot add themselves
  const asClerk = await new Parse.Query(Parse.Role).get(desk.id, MK);
  asClerk.getUsers().add(outsider.user);
  await expectParseError(asClerk.save(null, outsider.opts), 101);
  // an inherited role: the night shift gets the front desk's access
  const nightShift = new Parse.Role(uid('nightShift'), roleAcl);
  nightShift.getUsers().add(night.user);
  await nightShift.save(null, nurse.opts);
  await expectParseError(new Parse.Query('OpenPatient').get(memo.id, night.opts), 101);
  desk.getRoles().add(nightShift);
  await desk.save(null, nurse.opts);
  assert.equal((await new Parse.Query('OpenPatient').get(memo.id, night.opts)).id, memo.id);
  // removing the member closes it on the next request
  desk.getUsers().remove(clerk.user);
  await desk.save(null, nurse.opts);
  await expectParseError(new Parse.Query('OpenPatient').get(memo.id, clerk.opts), 101);
});

test('run-time roles never reach a reserved role: names, hierarchy, membership', skip, async () => {
  const doc = await staff('physician');
  const roleAcl = new Parse.ACL();
  roleAcl.setReadAccess(doc.user, true);
  roleAcl.setWriteAccess(doc.user, true);
  for (const name of ['admin', 'Nurse', 'clinician', 'careTeam_Patient_x', 'recordGrant_MedicalNote_y']) {
    await expectParseError(new Parse.Role(name, roleAcl).save(null, doc.opts), 139, 'reserved');
  }
  const mine = new Parse.Role(uid('mine'), roleAcl);
  await mine.save(null, doc.opts);
  const admin = await new Parse.Query(Parse.Role).equalTo('name', 'admin').first(doc.opts);
  // a reserved role put under mine: 119, nothing saved
  mine.getRoles().add(admin);
  await expectParseError(mine.save(null, doc.opts), 119, 'the reserved role admin is placed in other roles by an administrator only');
  mine.revert();
  // mine put under the admin role, or myself into it: the admin role's ACL refuses (101)
  admin.getRoles().add(mine);
  await expectParseError(admin.save(null, doc.opts), 101);
  admin.revert();
  admin.getUsers().add(doc.user);
  await expectParseError(admin.save(null, doc.opts), 101);
  // renaming is refused; a role anyone may join is refused
  const renamed = await rest('PUT', `/roles/${mine.id}`, { session: doc.token, body: { name: 'admin' } });
  assert.deepEqual([renamed.status, renamed.json], [400, { code: 139, error: "A role's name can only be set before it has been saved." }]);
  assert.equal((await new Parse.Query(Parse.Role).get(mine.id, doc.opts)).getName(), mine.getName());
  const open = new Parse.ACL();
  open.setPublicReadAccess(true);
  open.setPublicWriteAccess(true);
  await expectParseError(new Parse.Role(uid('open'), open).save(null, doc.opts), 119, 'public write');
  const adminUsers = await admin.getUsers().query().find(MK);
  assert.ok(!adminUsers.some((u) => u.id === doc.id));
});

// Write responses carry what the server set (Parse Server's "fields changed by trigger"): after
// `await obj.save()` the SDK object holds the server's values with no fetch(). Chartkeep's
// clinical rules are its built-in before-save hooks. (Chartkeep only: stock Parse has no such rules.)
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { Parse, MK, uid, ensureSeedSchema, PASSWORD, ON_PARSE_POSTGRES, staff } from './helpers.mjs';

const skip = ON_PARSE_POSTGRES ? { skip: 'Chartkeep built-in hooks (not a Parse behaviour)' } : {};

before(async () => { await ensureSeedSchema(); });

async function patientWithProfile(members) {
  const user = new Parse.User();
  await user.signUp({ username: uid('pat'), password: PASSWORD, role: 'patient' });
  const profile = new Parse.Object('PatientProfile');
  await profile.save({ user, medicalRecordNumber: uid('BH'), displayName: 'Pat', isActive: true }, MK);
  for (const m of members) await new Parse.Object('CareTeamMember').save({ patientProfile: profile, user: m.user }, MK);
  return { user, profile, opts: { sessionToken: user.getSessionToken() } };
}

test('a sent message holds status, sentAt and its ACL after save(), and the receipt after the update', skip, async () => {
  const clinician = await staff('provider');
  const patient = await patientWithProfile([clinician]);
  const msg = new Parse.Object('Message');
  const before = Date.now();
  await msg.save({ conversationId: uid('conv'), from: clinician.user, to: patient.user, patient: patient.profile,
    body: 'Your next session is on Monday', isRead: false }, clinician.opts);
  assert.equal(msg.get('status'), 'sent');  // never set by the app: the server's value, no fetch()
  assert.ok(msg.get('sentAt') instanceof Date && msg.get('sentAt').getTime() >= before - 1000);
  assert.equal(msg.dirty(), false, 'the server values are saved state, not pending changes');
  const acl = msg.getACL();
  assert.ok(acl, 'the server-set ACL is on the object');
  assert.equal(acl.getReadAccess(patient.user.id), true);
  assert.equal(acl.getWriteAccess(patient.user.id), true);
  assert.equal(acl.getWriteAccess(clinician.user.id), false);
  assert.equal(acl.getPublicReadAccess(), false);

  const stored = await new Parse.Query('Message').get(msg.id, MK);
  assert.equal(msg.get('sentAt').toISOString(), stored.get('sentAt').toISOString());

  // the recipient marks it read: status and the receipt times come back with the save
  const mine = await new Parse.Query('Message').get(msg.id, patient.opts);
  mine.set('isRead', true);
  await mine.save(null, patient.opts);
  assert.equal(mine.get('status'), 'read');
  assert.ok(mine.get('readAt') instanceof Date);
  assert.ok(mine.get('deliveredAt') instanceof Date);
});

test('a server-owned value the app sent is unset on the object after save()', skip, async () => {
  const clinician = await staff('provider');
  const patient = await patientWithProfile([clinician]);
  const msg = new Parse.Object('Message');
  await msg.save({ conversationId: uid('conv'), from: clinician.user, to: patient.user, patient: patient.profile,
    body: 'hello', isRead: false, readAt: new Date('2001-01-01T00:00:00.000Z') }, clinician.opts);
  assert.equal(msg.get('readAt'), undefined, 'the server dropped it, and the SDK applied the Delete');
  assert.equal(msg.has('readAt'), false);
});

test('a note version holds the number and editor the server decided', skip, async () => {
  const doc = await staff('physician');
  const nurse = await staff('nurse');
  const patient = new Parse.Object('Patient');
  await patient.save({ mrn: uid('MRN'), fullName: 'Ada Lovelace', dateOfBirth: new Date('1985-12-10T00:00:00.000Z'),
    status: 'active', primaryClinician: doc.user }, doc.opts);
  const encounter = new Parse.Object('Encounter');
  await encounter.save({ patient, encounterNumber: uid('E'), type: 'outpatient', startedAt: new Date(), status: 'open' }, doc.opts);
  const note = new Parse.Object('MedicalNote');
  await note.save({ patient, encounter, author: doc.user, title: 'Progress', noteType: 'progress',
    currentVersionNumber: 3, status: 'draft' }, doc.opts);
  assert.equal(note.get('currentVersionNumber'), 0, 'no version yet, whatever the app said');

  const version = new Parse.Object('NoteVersion');
  await version.save({ medicalNote: note, versionNumber: 9, editor: nurse.user, subjective: 'Headache' }, doc.opts);
  assert.equal(version.get('versionNumber'), 1);
  assert.equal(version.get('editor').id, doc.user.id, 'the caller wrote it');
  assert.equal(version.get('subjective'), 'Headache');
});

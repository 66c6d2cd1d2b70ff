// The behavioral-health patient portal through the official SDK: a patient logs in and reads their
// own profile and appointments, never another patient's; a provider invites a patient with a Cloud
// function; an auditor reads the ledger as the seed's AuditLog. (Chartkeep policy, not a Parse
// behaviour: skipped against the reference Parse Server.)
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { Parse, uid, ensureSeedSchema, expectParseError, ON_PARSE_POSTGRES, staff } from './helpers.mjs';

const skip = ON_PARSE_POSTGRES ? { skip: 'Chartkeep access policy (not a Parse behaviour)' } : {};

before(async () => { await ensureSeedSchema(); });

async function chart(provider, patient, name) {
  const profile = new Parse.Object('PatientProfile');
  await profile.save({ user: patient.user, medicalRecordNumber: uid('BH'), displayName: name, isActive: true },
    provider.opts);
  const start = new Date(Date.UTC(2026, 1, 1, 9) + Math.floor(Math.random() * 1e6) * 3600e3);
  const appointment = new Parse.Object('Appointment');
  await appointment.save({ patient: profile, provider: provider.user, startAt: start,
    endAt: new Date(start.getTime() + 50 * 60e3), status: 'scheduled', reason: 'weekly therapy' }, provider.opts);
  return { profile, appointment };
}

test('a patient reads their own profile and appointments, none of another patient', skip, async () => {
  const provider = await staff('provider');
  const ann = await staff('patient');
  const bob = await staff('patient');
  const a = await chart(provider, ann, 'Ann Portal');
  const b = await chart(provider, bob, 'Bob Portal');

  const mine = await new Parse.Query('PatientProfile').equalTo('user', ann.user).find(ann.opts);
  assert.deepEqual(mine.map((p) => p.id), [a.profile.id]);
  assert.equal(mine[0].get('displayName'), 'Ann Portal');
  const appointments = await new Parse.Query('Appointment').include('patient').find(ann.opts);
  assert.deepEqual(appointments.map((x) => x.id), [a.appointment.id]);
  assert.equal(appointments[0].get('patient').get('displayName'), 'Ann Portal');
  assert.equal(await new Parse.Query('Appointment').count(ann.opts), 1);

  await expectParseError(new Parse.Query('PatientProfile').get(b.profile.id, ann.opts), 101);
  await expectParseError(new Parse.Query('Appointment').get(b.appointment.id, ann.opts), 101);
  assert.deepEqual(await new Parse.Query('Appointment').equalTo('patient', b.profile).find(ann.opts), []);
  const either = Parse.Query.or(new Parse.Query('PatientProfile').equalTo('objectId', b.profile.id),
    new Parse.Query('PatientProfile').equalTo('displayName', 'Bob Portal'));
  assert.deepEqual(await either.find(ann.opts), []);
  const inner = new Parse.Query('PatientProfile').equalTo('displayName', 'Bob Portal');
  assert.deepEqual(await new Parse.Query('Appointment').matchesQuery('patient', inner).find(ann.opts), []);

  // the provider sees both charts; a provider on neither team sees nothing
  const other = await staff('provider');
  assert.equal(await new Parse.Query('Appointment').containedIn('patient', [a.profile, b.profile]).count(provider.opts), 2);
  assert.equal(await new Parse.Query('PatientProfile').containedIn('objectId', [a.profile.id, b.profile.id]).count(other.opts), 0);

  // turning portal access off closes the patient's records, not the team's
  a.profile.set('isActive', false);
  await a.profile.save(null, provider.opts);
  await expectParseError(new Parse.Query('Appointment').find(ann.opts), 119);
  assert.equal((await new Parse.Query('Appointment').get(a.appointment.id, provider.opts)).id, a.appointment.id);
});

test('invitePatient returns the new profile; the auditor reads AuditLog with the seed field names', skip, async () => {
  const provider = await staff('provider');
  const auditor = await staff('auditor');
  const email = `${uid('invited')}@example.org`.toLowerCase();
  const result = await Parse.Cloud.run('invitePatient', { email, medicalRecordNumber: uid('BH'),
    displayName: 'Ivy Invited' }, provider.opts);
  assert.ok(result.patientProfile instanceof Parse.Object);
  assert.equal(result.patientProfile.className, 'PatientProfile');
  assert.equal(result.patientProfile.get('displayName'), 'Ivy Invited');
  assert.equal(result.invitationSentTo, email);

  const patient = await staff('patient');
  const entries = await new Parse.Query('AuditLog').equalTo('actor', patient.user).equalTo('action', 'login')
    .find(auditor.opts);
  assert.equal(entries.length, 1);
  const login = entries[0];
  assert.equal(login.get('actor').id, patient.id);
  assert.equal(login.get('entityType'), '_User');
  assert.equal(login.get('entityId'), patient.id);
  assert.equal(login.get('summary'), `login _User ${patient.id}`);
  const invites = await new Parse.Query('AuditLog').equalTo('action', 'invite').equalTo('actor', provider.user)
    .find(auditor.opts);
  assert.equal(invites.length, 1);
  assert.equal(invites[0].get('patient').id, result.patientProfile.id);
  assert.equal(invites[0].get('metadata').email, email);
  assert.equal(invites[0].get('summary'), `Patient portal invitation mailed to ${email}`);

  await expectParseError(new Parse.Query('AuditLog').find(patient.opts), 119);
  await expectParseError(new Parse.Query('AuditLog').find(provider.opts), 119);
});

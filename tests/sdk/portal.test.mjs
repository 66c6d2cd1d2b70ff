// The behavioral-health patient portal through the official SDK: a patient logs in and reads their
// own profile and appointments, never another patient's; a provider invites a patient with a Cloud
// function; an auditor reads the ledger as the seed's AuditLog. (Chartkeep policy, not a Parse
// behaviour: skipped against the reference Parse Server.)
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { Parse, uid, ensureSeedSchema, expectParseError, ON_PARSE_POSTGRES, staff, PASSWORD } from './helpers.mjs';

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

// The invitation mail's token, read from the server's outbox with `chartkeep outbox` (the wrapper
// passes the database the server writes to).
const DATABASE_URL = process.env.CHARTKEEP_SDK_DATABASE_URL;
function invitationToken(email) {
  const out = execFileSync(process.env.CHARTKEEP_SDK_PYTHON || 'python3',
    ['-m', 'chartkeep', 'outbox', '--last', '200', '--database-url', DATABASE_URL], { encoding: 'utf8' });
  const mail = out.split('\n--- ').filter((m) => m.includes(`to: ${email}`)).at(-1);
  assert.ok(mail, `no mail to ${email} in the outbox`);
  return decodeURIComponent(mail.match(/token=([^&\s]+)/)[1]);
}

test('a provider signs up as an applicant: no clinical access until an admin approves', skip, async () => {
  const admin = await staff('admin');
  const provider = await staff('provider');
  const name = uid('applicant');
  const applicant = new Parse.User();
  await applicant.signUp({ username: name, password: PASSWORD, email: `${name}@example.org`, role: 'provider' });
  const opts = { sessionToken: applicant.getSessionToken() };
  assert.ok(opts.sessionToken, 'the account exists and has a session');
  await applicant.fetch(opts);
  assert.equal(applicant.get('role'), 'applicant');
  assert.equal(applicant.get('requestedRole'), 'provider');
  assert.equal(applicant.get('applicationStatus'), 'pending');
  await expectParseError(new Parse.Query('IntakeAssessment').find(opts), 119);
  await expectParseError(new Parse.Query('Patient').find(opts), 119);
  applicant.set('applicationStatus', 'approved');
  await expectParseError(applicant.save(null, opts), 119, 'applicationStatus is set by the server');
  applicant.revert();
  await expectParseError(Parse.Cloud.run('decideRoleApplication', { user: applicant.id, decision: 'approve' }, provider.opts),
    119, 'only an administrator decides a role application');
  const decided = await Parse.Cloud.run('decideRoleApplication',
    { user: applicant.toPointer(), decision: 'approve', reason: 'licence checked' }, admin.opts);
  assert.equal(decided.role, 'provider');
  assert.equal(decided.applicationStatus, 'approved');
  await applicant.fetch(opts);
  assert.equal(applicant.get('role'), 'provider');
  const own = new Parse.Object('ProviderProfile');
  await own.save({ user: applicant, specialty: 'CBT' }, opts);
  assert.ok(own.id);
  await expectParseError(Parse.Cloud.run('decideRoleApplication', { user: applicant.id, decision: 'reject' }, admin.opts),
    142, 'no pending role application');
});

test('a patient signs up with the portal invitation and finds the invited profile', { ...skip, skip: skip.skip || (!DATABASE_URL && 'CHARTKEEP_SDK_DATABASE_URL not set') }, async () => {
  const provider = await staff('provider');
  const email = `${uid('ivy')}@example.org`.toLowerCase();
  const invited = await Parse.Cloud.run('invitePatient', { email, medicalRecordNumber: uid('BH'), displayName: 'Ivy' },
    provider.opts);
  const token = invitationToken(email);
  const forged = new Parse.User();
  await expectParseError(forged.signUp({ username: email, password: 'Ivy-chose-this-1', invitationToken: 'forged' }),
    142, 'The portal invitation is invalid or has expired.');
  const user = new Parse.User();
  await user.signUp({ username: email, password: 'Ivy-chose-this-1', email, invitationToken: token });
  assert.equal(user.id, invited.user.id);
  const opts = { sessionToken: user.getSessionToken() };
  const mine = await new Parse.Query('PatientProfile').equalTo('user', user).find(opts);
  assert.deepEqual(mine.map((p) => p.id), [invited.patientProfile.id]);
  const again = await Parse.User.logIn(email, 'Ivy-chose-this-1');
  assert.equal(again.get('role'), 'patient');
  await expectParseError(new Parse.User().signUp({ username: email, password: 'Other-pass-22', invitationToken: token }),
    142, 'invalid or has expired');
});

// Secure messaging and appointments through the official Parse JS SDK, as a Back4app-template app
// writes them: a patient sends, the clinician receives (LiveQuery) and marks it read; the sender
// cannot mark it read or change its sender; threads and double-booking. (Chartkeep only.)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Parse, MK, uid, ensureSeedSchema, expectParseError, PASSWORD, APP_ID, SERVER_URL, ON_PARSE_POSTGRES,
  staff } from './helpers.mjs';

const skip = ON_PARSE_POSTGRES ? { skip: 'Chartkeep messaging rules (not a Parse behaviour)' } : {};
const WS_URL = SERVER_URL.replace(/^http/, 'ws');
const clients = [];

before(async () => { await ensureSeedSchema(); });
after(async () => { for (const c of clients) await c.close(); });

async function patientUser() {
  const user = new Parse.User();
  await user.signUp({ username: uid('pat'), password: PASSWORD, role: 'patient' });
  return { user, token: user.getSessionToken(), id: user.id, opts: { sessionToken: user.getSessionToken() } };
}

/** A patient with a profile whose care team is `members`. */
async function chart(members) {
  const patient = await patientUser();
  const profile = new Parse.Object('PatientProfile');
  await profile.save({ user: patient.user, medicalRecordNumber: uid('BH'), displayName: 'Pat', isActive: true }, MK);
  for (const m of members) {
    await new Parse.Object('CareTeamMember').save({ patientProfile: profile, user: m.user }, MK);
  }
  return { patient, profile };
}

test('a patient sends, the clinician hears of it, reads it and the patient sees the receipt', skip, async () => {
  const clinician = await staff('provider');
  const { patient, profile } = await chart([clinician]);
  const conversationId = uid('conv');

  const live = new Parse.LiveQueryClient({ applicationId: APP_ID, serverURL: WS_URL, sessionToken: clinician.token });
  clients.push(live);
  live.open();
  const sub = live.subscribe(new Parse.Query('Message').equalTo('to', clinician.user));
  await sub.subscribePromise;
  const heard = [];
  sub.on('create', (m) => heard.push(m));

  const msg = new Parse.Object('Message');
  await msg.save({ conversationId, from: patient.user, to: clinician.user, patient: profile,
    body: 'I slept better this week', isRead: false }, patient.opts);
  await msg.fetch(patient.opts);
  assert.equal(msg.get('status'), 'sent');
  assert.equal(msg.get('from').id, patient.id);
  assert.ok(msg.get('sentAt') instanceof Date);

  const end = Date.now() + 5000;
  while (heard.length === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  assert.equal(heard.length, 1, 'the recipient is told of the new message');
  assert.equal(heard[0].get('body'), 'I slept better this week');

  // the sender cannot mark it read, nor change who sent it
  msg.set('isRead', true);
  await expectParseError(msg.save(null, patient.opts), 119, 'only the recipient');
  msg.revert();
  msg.set('from', clinician.user);
  await expectParseError(msg.save(null, patient.opts), 119, 'cannot be changed');
  msg.revert();

  // "How do I mark a message as read?": the recipient sets isRead (or status) and saves
  const inbox = await new Parse.Query('Message').equalTo('to', clinician.user).equalTo('isRead', false)
    .find(clinician.opts);
  assert.deepEqual(inbox.map((m) => m.id), [msg.id]);
  inbox[0].set('isRead', true);
  await inbox[0].save(null, clinician.opts);

  await msg.fetch(patient.opts);
  assert.equal(msg.get('isRead'), true);
  assert.equal(msg.get('status'), 'read');
  assert.ok(msg.get('readAt') instanceof Date);
  inbox[0].set('status', 'delivered');
  await expectParseError(inbox[0].save(null, clinician.opts), 142, 'cannot go back');
  await expectParseError(msg.destroy(patient.opts), 119);
});

test('a message to someone outside the care team is refused; threads list unread counts', skip, async () => {
  const clinician = await staff('provider');
  const stranger = await staff('physician');
  const { patient, profile } = await chart([clinician]);
  const conversationId = uid('conv');
  const send = (from, to, body, opts) => new Parse.Object('Message').save({ conversationId, from: from.user,
    to: to.user, patient: profile, body, isRead: false }, opts);
  await expectParseError(send(patient, stranger, 'hello?', patient.opts), 119, 'recipient');
  await send(patient, clinician, 'one', patient.opts);
  await send(patient, clinician, 'two', patient.opts);
  await send(clinician, patient, 'reply', clinician.opts);

  const theirs = await Parse.Cloud.run('messageThreads', {}, clinician.opts);
  assert.equal(theirs.count, 1);
  assert.equal(theirs.results[0].conversationId, conversationId);
  assert.equal(theirs.results[0].unreadCount, 2);
  assert.equal(theirs.results[0].lastMessage.body, 'reply');
  const marked = await Parse.Cloud.run('markThreadRead', { conversationId }, clinician.opts);
  assert.equal(marked.marked, 2);
  const mine = await Parse.Cloud.run('messageThreads', {}, patient.opts);
  assert.equal(mine.results[0].unreadCount, 1);
  assert.equal(mine.results[0].messageCount, 3);
});

test('appointments: two concurrent bookings of one slot yield one; the patient cancels their own', skip, async () => {
  const clinician = await staff('provider');
  const { patient, profile } = await chart([clinician]);
  const slot = { startAt: new Date('2026-05-04T09:00:00.000Z'), endAt: new Date('2026-05-04T10:00:00.000Z') };
  const book = () => new Parse.Object('Appointment').save({ patient: profile, provider: clinician.user, ...slot,
    status: 'scheduled' }, clinician.opts);
  const results = await Promise.allSettled([book(), book(), book()]);
  assert.deepEqual(results.map((r) => r.status).sort(), ['fulfilled', 'rejected', 'rejected']);
  for (const r of results.filter((x) => x.status === 'rejected')) assert.equal(r.reason.code, 137);
  const appt = results.find((r) => r.status === 'fulfilled').value;

  const wrong = new Parse.Object('Appointment');
  await expectParseError(wrong.save({ patient: profile, provider: clinician.user, startAt: slot.endAt,
    endAt: slot.startAt, status: 'scheduled' }, clinician.opts), 142, 'endAt must be after startAt');

  const mine = await new Parse.Query('Appointment').get(appt.id, patient.opts);
  mine.set('status', 'completed');
  await expectParseError(mine.save(null, patient.opts), 119, 'confirm or cancel');
  mine.set('status', 'cancelled');
  await mine.save(null, patient.opts);
  await book(); // the cancelled slot is free again
});

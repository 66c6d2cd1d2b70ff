// Parse LiveQuery through the official SDK: `query.subscribe()` on the default client (derived
// from Parse.serverURL, so ws://host/parse) and `Parse.LiveQueryClient` per user session, on the
// seed's clinical classes. Care teams and message participants decide who hears what; a user
// without read access receives nothing. (Chartkeep only: the reference run has no LiveQuery.)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Parse, MK, uid, rest, ensureSeedSchema, PASSWORD, APP_ID, SERVER_URL, ON_PARSE_POSTGRES, staff } from './helpers.mjs';

const skip = ON_PARSE_POSTGRES ? { skip: 'Chartkeep LiveQuery and access policy' } : {};
const WS_URL = SERVER_URL.replace(/^http/, 'ws');
const clients = [];

before(async () => { await ensureSeedSchema(); });
after(async () => {
  for (const c of clients) await c.close();
  if (!ON_PARSE_POSTGRES) await Parse.LiveQuery.close();
});

async function patientUser() {
  const user = new Parse.User();
  await user.signUp({ username: uid('pat'), password: PASSWORD, role: 'patient' });
  return { user, token: user.getSessionToken(), id: user.id };
}

/** A LiveQuery client reading as `token` (no master key), and a subscription on `query`. */
async function subscribeAs(token, query) {
  const client = new Parse.LiveQueryClient({ applicationId: APP_ID, serverURL: WS_URL, sessionToken: token });
  clients.push(client);
  client.open();
  const sub = client.subscribe(query);
  await sub.subscribePromise;
  return record(sub);
}

function record(sub) {
  const events = [];
  for (const op of ['create', 'update', 'enter', 'leave', 'delete']) {
    sub.on(op, (object, original) => events.push({ op, object, original }));
  }
  return events;
}

async function waitFor(events, count, ms = 5000) {
  const end = Date.now() + ms;
  while (events.length < count && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  assert.equal(events.length, count, `expected ${count} events, got ${events.map((e) => e.op).join(',')}`);
}

const settle = () => new Promise((r) => setTimeout(r, 400));

test('MedicalNote: the care team receives create/update/leave/enter as the note moves through its workflow, an outsider nothing', skip, async () => {
  const doc = await staff('physician');
  const outsider = await staff('physician');
  const patient = new Parse.Object('Patient');
  await patient.save({ mrn: uid('MRN'), fullName: 'Ada Lovelace', dateOfBirth: new Date('1815-12-10'), status: 'active' },
    { sessionToken: doc.token });
  const encounter = new Parse.Object('Encounter');
  await encounter.save({ patient, encounterNumber: uid('E'), type: 'outpatient', startedAt: new Date(), status: 'open' },
    { sessionToken: doc.token });
  const drafts = () => new Parse.Query('MedicalNote').equalTo('patient', patient).equalTo('status', 'draft');
  const mine = await subscribeAs(doc.token, drafts());
  const theirs = await subscribeAs(outsider.token, drafts());
  // the default client (master key, as the SDK was initialised) through query.subscribe()
  const masterSub = await drafts().subscribe();
  const all = record(masterSub);

  const note = new Parse.Object('MedicalNote');
  await note.save({ patient, encounter, author: doc.user, title: 'Progress', noteType: 'progress',
    currentVersionNumber: 1, status: 'draft' }, { sessionToken: doc.token });
  await waitFor(mine, 1);
  assert.equal(mine[0].op, 'create');
  assert.equal(mine[0].object.id, note.id);
  assert.equal(mine[0].object.get('title'), 'Progress');
  assert.equal(mine[0].object.get('patient').id, patient.id);
  assert.equal(mine[0].object.getACL().getRoleReadAccess(`careTeam_Patient_${patient.id}`), true);

  note.set('title', 'Progress (2)');
  await note.save(null, { sessionToken: doc.token });
  await waitFor(mine, 2);
  assert.equal(mine[1].op, 'update');
  assert.equal(mine[1].object.get('title'), 'Progress (2)');
  assert.equal(mine[1].original.get('title'), 'Progress');

  // content: a version; the server advances the note's version number
  const version = new Parse.Object('NoteVersion');
  await version.save({ medicalNote: note, versionNumber: 1, editor: doc.user, subjective: 'better today' },
    { sessionToken: doc.token });
  await waitFor(mine, 3);
  assert.equal(mine[2].op, 'update');
  assert.equal(mine[2].object.get('currentVersionNumber'), 1);

  // a signature request puts the note under review (it leaves the drafts) ...
  await Parse.Cloud.run('requestSignatures', { note: note.id, signers: [{ signer: doc.user.id, role: 'author' }] },
    { sessionToken: doc.token });
  await waitFor(mine, 4);
  assert.equal(mine[3].op, 'leave');
  assert.equal(mine[3].object.get('status'), 'under_review');

  // ... and a decline returns it to draft (it enters again)
  await Parse.Cloud.run('declineSignature', { note: note.id, comment: 'needs the lab result' },
    { sessionToken: doc.token });
  await waitFor(mine, 5);
  assert.equal(mine[4].op, 'enter');
  assert.equal(mine[4].original.get('status'), 'under_review');

  // notes are never deleted, master key included: no delete event either
  await assert.rejects(note.destroy(MK), (e) => e.code === 119);

  await waitFor(all, 5);
  assert.deepEqual(all.map((e) => e.op), ['create', 'update', 'update', 'leave', 'enter']);
  await settle();
  assert.deepEqual(theirs, [], 'a physician outside the care team receives nothing');
  await masterSub.unsubscribe();
});

test('Message: both participants hear of it and of its read receipt; another patient nothing', skip, async () => {
  const provider = await staff('provider');
  const p1 = await patientUser();
  const p2 = await patientUser();
  const profile = new Parse.Object('PatientProfile');
  await profile.save({ user: p1.user, medicalRecordNumber: uid('BH'), displayName: 'P One', isActive: true }, MK);
  await new Parse.Object('CareTeamMember').save({ patientProfile: profile, user: provider.user }, MK); // messages stay within the team
  const conversation = uid('conv');
  const thread = () => new Parse.Query('Message').equalTo('conversationId', conversation);
  const providerSide = await subscribeAs(provider.token, thread());
  const patientSide = await subscribeAs(p1.token, thread());
  const unread = await subscribeAs(p1.token, thread().equalTo('isRead', false));
  const stranger = await subscribeAs(p2.token, thread());

  const msg = new Parse.Object('Message');
  await msg.save({ conversationId: conversation, from: provider.user, to: p1.user, patient: profile,
    body: 'How are you feeling today?', isRead: false }, { sessionToken: provider.token });
  await waitFor(providerSide, 1);
  await waitFor(patientSide, 1);
  await waitFor(unread, 1);
  for (const side of [providerSide, patientSide, unread]) {
    assert.equal(side[0].op, 'create');
    assert.equal(side[0].object.get('body'), 'How are you feeling today?');
  }

  const mineToRead = await new Parse.Query('Message').get(msg.id, { sessionToken: p1.token });
  mineToRead.set('isRead', true);
  await mineToRead.save(null, { sessionToken: p1.token });
  await waitFor(providerSide, 2);
  assert.equal(providerSide[1].op, 'update');
  assert.equal(providerSide[1].object.get('isRead'), true);
  assert.equal(providerSide[1].original.get('isRead'), false);
  await waitFor(unread, 2);
  assert.equal(unread[1].op, 'leave');

  await msg.destroy(MK);
  await waitFor(providerSide, 3);
  await waitFor(patientSide, 3);
  assert.equal(patientSide[2].op, 'delete');
  await settle();
  assert.equal(unread.length, 2, 'no delete for a subscription the message had left');
  assert.deepEqual(stranger, [], 'another patient receives nothing');
});

test('Message with a file attachment: each participant downloads it through event.object.get("attachments")[0].url()', skip, async () => {
  const provider = await staff('provider');
  const p1 = await patientUser();
  const p2 = await patientUser();
  const profile = new Parse.Object('PatientProfile');
  await profile.save({ user: p1.user, medicalRecordNumber: uid('BH'), displayName: 'P One', isActive: true }, MK);
  await new Parse.Object('CareTeamMember').save({ patientProfile: profile, user: provider.user }, MK);
  const conversation = uid('conv');
  const thread = () => new Parse.Query('Message').equalTo('conversationId', conversation);
  const providerSide = await subscribeAs(provider.token, thread());
  const patientSide = await subscribeAs(p1.token, thread());
  const stranger = await subscribeAs(p2.token, thread());
  const masterSub = await thread().subscribe(); // the default client, as the SDK was initialised (master key)
  const all = record(masterSub);

  const pdf = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.from([...Array(256).keys()]), Buffer.from('\n%%EOF\n')]);
  const file = new Parse.File('care plan.pdf', { base64: pdf.toString('base64') }, 'application/pdf');
  await file.save({ sessionToken: provider.token });
  const msg = new Parse.Object('Message');
  await msg.save({ conversationId: conversation, from: provider.user, to: p1.user, patient: profile,
    body: 'Your care plan is attached.', isRead: false, attachments: [file] }, { sessionToken: provider.token });

  const links = [];
  for (const [side, id] of [[providerSide, provider.id], [patientSide, p1.id], [all, '_master']]) {
    await waitFor(side, 1);
    assert.equal(side[0].op, 'create');
    const attached = side[0].object.get('attachments')[0];
    assert.ok(attached instanceof Parse.File);
    assert.equal(attached.name(), file.name());
    const url = new URL(attached.url());
    assert.equal(url.searchParams.get('u'), id, 'a link signed for this subscriber');
    const r = await fetch(attached.url());
    assert.equal(r.status, 200);
    assert.deepEqual(Buffer.from(await r.arrayBuffer()), pdf);
    links.push(attached.url());
  }
  assert.equal(new Set(links).size, 3);

  // the read receipt: an update whose object and original both carry files
  const mine = await new Parse.Query('Message').get(msg.id, { sessionToken: p1.token });
  mine.set('isRead', true);
  await mine.save(null, { sessionToken: p1.token });
  await waitFor(providerSide, 2);
  assert.equal(providerSide[1].op, 'update');
  for (const obj of [providerSide[1].object, providerSide[1].original]) {
    const r = await fetch(obj.get('attachments')[0].url());
    assert.deepEqual(Buffer.from(await r.arrayBuffer()), pdf);
  }
  // the patient's link is not the provider's grant
  const theirs = await fetch(links[1], { headers: { 'X-Parse-Session-Token': provider.token } });
  assert.equal(theirs.status, 403);
  await settle();
  assert.deepEqual(stranger, [], 'another patient receives nothing');
  await masterSub.unsubscribe();
});

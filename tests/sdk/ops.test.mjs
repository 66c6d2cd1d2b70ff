// Update operators, batch save/destroy, destroy, fetch.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { Parse, MK, uid, newUser, newPatient, newEncounter, newNote, ensureSeedSchema, expectParseError, rest } from './helpers.mjs';

let author;
let patient;
let encounter;

before(async () => {
  await ensureSeedSchema();
  author = await newUser();
  patient = await newPatient();
  encounter = await newEncounter(patient);
});

const reload = (o) => new Parse.Query(o.className).get(o.id, MK);

test('increment / decrement are atomic server-side counters', async () => {
  const note = await newNote(patient, encounter, author.user, { currentVersionNumber: 1 });
  note.increment('currentVersionNumber');
  await note.save(null, MK);
  assert.equal(note.get('currentVersionNumber'), 2);
  note.increment('currentVersionNumber', 5);
  await note.save(null, MK);
  assert.equal(note.get('currentVersionNumber'), 7);
  note.decrement('currentVersionNumber', 2);
  await note.save(null, MK);
  assert.equal(note.get('currentVersionNumber'), 5);
  assert.equal((await reload(note)).get('currentVersionNumber'), 5);

  // Two stale copies incrementing concurrently: no lost update.
  const c1 = Parse.Object.extend('OpenMedicalNote').createWithoutData(note.id);
  const c2 = new Parse.Query('OpenMedicalNote');
  const copy2 = await c2.get(note.id, MK);
  c1.increment('currentVersionNumber', 10);
  copy2.increment('currentVersionNumber', 100);
  await Promise.all([c1.save(null, MK), copy2.save(null, MK)]);
  assert.equal((await reload(note)).get('currentVersionNumber'), 115);

  // Fractional increments, and increments on a never-set field start at 0.
  note.increment('currentVersionNumber', 0.5);
  await note.save(null, MK);
  assert.equal((await reload(note)).get('currentVersionNumber'), 115.5);
  const p = await newPatient();
  p.increment('visitCount', 3);
  await p.save(null, MK);
  assert.equal(p.get('visitCount'), 3);
  assert.equal((await reload(p)).get('visitCount'), 3);
});

test('add / addUnique / remove on an Array field', async () => {
  const p = await newPatient({ allergies: ['latex'] });
  p.add('allergies', 'peanut');
  p.add('allergies', 'latex');
  await p.save(null, MK);
  assert.deepEqual((await reload(p)).get('allergies'), ['latex', 'peanut', 'latex'], 'add appends in order, keeps duplicates');

  p.remove('allergies', 'latex');
  await p.save(null, MK);
  assert.deepEqual((await reload(p)).get('allergies'), ['peanut'], 'remove drops every occurrence');

  // addUnique: only missing values are added. (Parse on PostgreSQL does not
  // keep insertion order for AddUnique, so compare as sets.)
  p.addUnique('allergies', 'peanut');
  p.addUnique('allergies', 'shellfish');
  await p.save(null, MK);
  assert.deepEqual((await reload(p)).get('allergies').sort(), ['peanut', 'shellfish']);

  p.addAll('allergies', ['a', 'b']);
  await p.save(null, MK);
  assert.equal((await reload(p)).get('allergies').length, 4);
  p.addAllUnique('allergies', ['b', 'c']);
  await p.save(null, MK);
  p.removeAll('allergies', ['peanut', 'a', 'not-there']);
  await p.save(null, MK);
  assert.deepEqual((await reload(p)).get('allergies').sort(), ['b', 'c', 'shellfish']);

  // add on a never-set array field creates it
  const fresh = await newPatient();
  fresh.add('allergies', 'dust');
  await fresh.save(null, MK);
  assert.deepEqual((await reload(fresh)).get('allergies'), ['dust']);
});

test('addUnique / remove with pointers and objects in arrays', async () => {
  const other = await newPatient();
  const msgProfile = new Parse.Object('OpenPatientProfile');
  await msgProfile.save({ user: author.user, medicalRecordNumber: uid('MR'), displayName: 'P', isActive: true }, MK);
  const msg = new Parse.Object('OpenMessage');
  await msg.save(
    { conversationId: uid('c'), from: author.user, to: author.user, patient: msgProfile, body: 'b', isRead: false, attachments: [] },
    MK,
  );
  msg.addUnique('attachments', other);
  msg.addUnique('attachments', { kind: 'lab', n: 1 });
  await msg.save(null, MK);
  msg.addUnique('attachments', Parse.Object.extend('OpenPatient').createWithoutData(other.id));
  msg.addUnique('attachments', { kind: 'lab', n: 1 });
  await msg.save(null, MK);
  let got = (await reload(msg)).get('attachments');
  assert.equal(got.length, 2, 'same pointer / equal object not added twice');
  const ptr = got.find((x) => x instanceof Parse.Object);
  assert.equal(ptr.id, other.id);
  assert.deepEqual(
    got.find((x) => !(x instanceof Parse.Object)),
    { kind: 'lab', n: 1 },
  );
  msg.remove('attachments', other);
  await msg.save(null, MK);
  got = (await reload(msg)).get('attachments');
  assert.deepEqual(got, [{ kind: 'lab', n: 1 }], 'remove matches pointers by class + objectId');
});

test('unset removes a field; null clears it; unsetting a required field -> 142', async () => {
  const p = await newPatient({ sexAtBirth: 'F', allergies: ['x'] });
  p.unset('sexAtBirth');
  await p.save(null, MK);
  const got = await reload(p);
  assert.equal(got.has('sexAtBirth'), false);
  assert.equal(got.get('sexAtBirth'), undefined);
  assert.equal((await new Parse.Query('OpenPatient').equalTo('objectId', p.id).doesNotExist('sexAtBirth').count()), 1);
  // Setting an optional field to null: Parse on PostgreSQL stores SQL NULL and
  // then omits the key on read (on MongoDB it returns null). Accept either.
  const n = await reload(p);
  n.set('sexAtBirth', 'M');
  await n.save(null, MK);
  n.set('sexAtBirth', null);
  await n.save(null, MK);
  const withNull = await reload(p);
  assert.ok(withNull.get('sexAtBirth') == null, `null or absent, got ${withNull.get('sexAtBirth')}`);
  // Unsetting a required field is refused.
  const req = await reload(p);
  req.unset('mrn');
  await expectParseError(req.save(null, MK), 142, 'mrn');
  assert.equal((await reload(p)).get('mrn'), p.get('mrn'));
});

test('save returns server state: updatedAt moves, createdAt stays', async () => {
  const p = await newPatient();
  const created = p.createdAt.getTime();
  const updated = p.updatedAt.getTime();
  await new Promise((r) => setTimeout(r, 15));
  p.set('fullName', 'Renamed');
  await p.save(null, MK);
  assert.equal(p.createdAt.getTime(), created);
  assert.ok(p.updatedAt.getTime() > updated, 'updatedAt advanced');
  const got = await reload(p);
  assert.equal(got.get('fullName'), 'Renamed');
  assert.equal(got.updatedAt.toISOString(), p.updatedAt.toISOString());
});

test('fetch refreshes an object; fetchAll fetches many', async () => {
  const p = await newPatient({ fullName: 'Before' });
  const other = await reload(p);
  other.set('fullName', 'After');
  await other.save(null, MK);
  assert.equal(p.get('fullName'), 'Before');
  await p.fetch(MK);
  assert.equal(p.get('fullName'), 'After');

  const a = await newPatient({ fullName: 'FA' });
  const b = await newPatient({ fullName: 'FB' });
  const OpenPatient = Parse.Object.extend('OpenPatient');
  const fetched = await Parse.Object.fetchAll([OpenPatient.createWithoutData(a.id), OpenPatient.createWithoutData(b.id)], MK);
  assert.deepEqual(
    fetched.map((o) => o.get('fullName')),
    ['FA', 'FB'],
  );
});

test('Parse.Object.saveAll creates and updates in a batch; destroyAll deletes', async () => {
  const tag = uid('batch');
  const objs = [1, 2, 3].map((i) => {
    const o = new Parse.Object('OpenPatient');
    o.set({ mrn: `${tag}-${i}`, fullName: `Batch ${i}`, dateOfBirth: new Date(Date.UTC(2000, 0, i)), status: tag });
    return o;
  });
  const saved = await Parse.Object.saveAll(objs, MK);
  assert.equal(saved.length, 3);
  for (const o of saved) assert.match(o.id, /^[A-Za-z0-9]+$/);
  assert.equal(new Set(saved.map((o) => o.id)).size, 3);
  const found = await new Parse.Query('OpenPatient').equalTo('status', tag).ascending('mrn').find(MK);
  assert.deepEqual(
    found.map((o) => o.get('fullName')),
    ['Batch 1', 'Batch 2', 'Batch 3'],
  );

  // batch update
  for (const o of saved) o.increment('visits', 2);
  saved[0].set('fullName', 'Batch One');
  await Parse.Object.saveAll(saved, MK);
  const after = await new Parse.Query('OpenPatient').equalTo('status', tag).ascending('mrn').find(MK);
  assert.deepEqual(
    after.map((o) => [o.get('fullName'), o.get('visits')]),
    [['Batch One', 2], ['Batch 2', 2], ['Batch 3', 2]],
  );

  await Parse.Object.destroyAll(saved, MK);
  assert.equal(await new Parse.Query('OpenPatient').equalTo('status', tag).count(MK), 0);
});

test('saveAll with an invalid object: the valid ones are saved, the error carries the code', async () => {
  const tag = uid('batchbad');
  const good = new Parse.Object('OpenPatient');
  good.set({ mrn: `${tag}-ok`, fullName: 'Good', dateOfBirth: new Date(), status: tag });
  const bad = new Parse.Object('OpenPatient');
  bad.set({ fullName: 'Bad (no mrn)', dateOfBirth: new Date(), status: tag });
  let err;
  try {
    await Parse.Object.saveAll([good, bad], MK);
  } catch (e) {
    err = e;
  }
  assert.ok(err, 'saveAll rejects');
  // The SDK surfaces the first failing sub-request's error.
  assert.equal(err.code, 142);
  assert.match(err.message, /mrn/);
  const stored = await new Parse.Query('OpenPatient').equalTo('status', tag).find(MK);
  assert.deepEqual(
    stored.map((o) => o.get('fullName')),
    ['Good'],
    'batch is not transactional: the valid object was created',
  );
  assert.ok(good.id, 'the saved object got its id');
});

test('destroyAll with a missing object reports 101 (in an aggregate error) and deletes the rest', async () => {
  const a = await newPatient();
  const ghost = Parse.Object.extend('OpenPatient').createWithoutData('doesNotExist1');
  let err;
  try {
    await Parse.Object.destroyAll([a, ghost], MK);
  } catch (e) {
    err = e;
  }
  assert.ok(err);
  assert.equal(err.code, Parse.Error.AGGREGATE_ERROR);
  assert.equal(err.errors.length, 1);
  assert.equal(err.errors[0].code, 101);
  assert.equal(err.errors[0].object.id, 'doesNotExist1');
  await expectParseError(reload(a), 101);
});

test('destroy: object is gone, get -> 101, second destroy -> 101', async () => {
  const p = await newPatient();
  await p.destroy(MK);
  await expectParseError(new Parse.Query('OpenPatient').get(p.id, MK), 101);
  assert.equal(await new Parse.Query('OpenPatient').equalTo('objectId', p.id).count(MK), 0);
  await expectParseError(Parse.Object.extend('OpenPatient').createWithoutData(p.id).destroy(MK), 101);
  // Updating a deleted object -> 101
  const stale = Parse.Object.extend('OpenPatient').createWithoutData(p.id);
  stale.set('fullName', 'zombie');
  await expectParseError(stale.save(null, MK), 101);
});

test('pointer to a deleted object: include drops it, bare pointer remains', async () => {
  const p = await newPatient();
  const e = await newEncounter(p);
  await p.destroy(MK);
  const bare = await new Parse.Query('OpenEncounter').get(e.id, MK);
  assert.equal(bare.get('patient').id, p.id, 'dangling pointer is still returned');
  const inc = await new Parse.Query('OpenEncounter').include('patient').get(e.id, MK);
  assert.equal(inc.has('patient'), false, 'include of a dangling pointer removes the key');
});

test('raw: PUT with Increment/AddUnique/Remove answers with the op results + updatedAt only', async () => {
  const p = await newPatient({ allergies: ['a'] });
  const r = await rest('PUT', `/classes/OpenPatient/${p.id}`, {
    body: {
      visits: { __op: 'Increment', amount: 2 },
      allergies: { __op: 'AddUnique', objects: ['a', 'b'] },
      fullName: 'Plain Set',
    },
  });
  assert.equal(r.status, 200);
  assert.deepEqual(Object.keys(r.json).sort(), ['allergies', 'updatedAt', 'visits']);
  assert.equal(r.json.visits, 2);
  assert.deepEqual(r.json.allergies.sort(), ['a', 'b']);
  const r2 = await rest('PUT', `/classes/OpenPatient/${p.id}`, {
    body: { allergies: { __op: 'Remove', objects: ['a'] }, sexAtBirth: { __op: 'Delete' } },
  });
  assert.deepEqual(Object.keys(r2.json).sort(), ['allergies', 'updatedAt']);
  assert.deepEqual(r2.json.allergies, ['b']);
  assert.match(r2.json.updatedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
});

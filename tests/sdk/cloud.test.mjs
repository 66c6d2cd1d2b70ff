// Cloud Code in Python through the SDK (docs/cloud-code.md): Parse.Cloud.run, a trigger's effect seen
// through save()/find(), a trigger's error code reaching the SDK, a job through Parse.Cloud.startJob,
// an after_live_query_event reshaping or dropping what a LiveQuery subscriber hears.
// The server loads tests/sdk/cloud_main.py (--cloud).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Parse, MK, uid, staff, ON_PARSE_POSTGRES, APP_ID, SERVER_URL, PASSWORD } from './helpers.mjs';

const skip = ON_PARSE_POSTGRES ? { skip: 'the Python cloud file is Chartkeep\'s' } : {};

test('Parse.Cloud.run answers with the function\'s result and its caller', skip, async () => {
  assert.deepEqual(await Parse.Cloud.run('sdkHello', { name: 'Ada' }), { greeting: 'hello Ada', user: null });
  const doc = await staff('physician');
  const got = await Parse.Cloud.run('sdkHello', { name: 'Ada' }, doc.opts);
  assert.equal(got.user, doc.user.get('username'));
});

test('validator, cloud.Error and a crash reach the SDK as Parse errors', skip, async () => {
  await assert.rejects(Parse.Cloud.run('sdkHello', {}), (e) => e instanceof Parse.Error && e.code === 142 &&
    e.message === 'Validation failed. Please specify data for name.');
  await assert.rejects(Parse.Cloud.run('sdkRefuse'), (e) => e.code === 142 &&
    e.message === 'Discharge summary needs a diagnosis');
  await assert.rejects(Parse.Cloud.run('sdkCrash'), (e) => e.code === Parse.Error.SCRIPT_FAILED &&
    e.message === 'interaction table unavailable');
  await assert.rejects(Parse.Cloud.run('noSuchFunction'), (e) => e.code === 141);
});

test('a before_save trigger\'s change is on the object after save() and in find()', skip, async () => {
  const tag = uid('visit');
  const visit = new Parse.Object('SdkVisit');
  await visit.save({ tag, reason: '  Follow-Up  ' }, MK);
  assert.equal(visit.get('reason'), 'follow-up');  // the trigger's value, no fetch()
  assert.equal(visit.dirty(), false);
  const found = await new Parse.Query('SdkVisit').equalTo('tag', tag).find(MK);
  assert.deepEqual(found.map((v) => v.get('reason')), ['follow-up']);
  const logs = await new Parse.Query('SdkVisitLog').equalTo('visit', visit).find(MK);
  assert.equal(logs.length, 1, 'the after_save wrote its log once the visit committed');
});

test('a save\'s context option reaches the trigger', skip, async () => {
  const visit = new Parse.Object('SdkVisit');
  await visit.save({ tag: uid('visit'), reason: 'x' }, { ...MK, context: { reason: 'From Context' } });
  assert.equal(visit.get('reason'), 'from context');
});

test('a trigger\'s error reaches save() and nothing is stored', skip, async () => {
  const tag = uid('visit');
  await assert.rejects(new Parse.Object('SdkVisit').save({ tag, reason: '   ' }, MK),
    (e) => e.code === 142 && e.message === 'A visit needs a reason');
  assert.equal(await new Parse.Query('SdkVisit').equalTo('tag', tag).count(MK), 0);
});

test('Parse.Cloud.startJob runs a job tracked in _JobStatus', skip, async () => {
  const id = await Parse.Cloud.startJob('sdkJob', { n: 3 });
  assert.ok(typeof id === 'string' && id.length > 0);
  let status;
  for (let i = 0; i < 100; i += 1) {
    status = await Parse.Cloud.getJobStatus(id);
    if (status.get('status') !== 'running') break;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(status.get('status'), 'succeeded');
  assert.equal(status.get('message'), 'done 3');
  assert.equal(status.get('jobName'), 'sdkJob');
});

test('an after_live_query_event reshapes or drops what a LiveQuery subscriber hears', skip, async () => {
  await new Parse.Object('SdkVisit').save({ tag: uid('visit'), reason: 'first' }, MK);  // the class exists
  const user = new Parse.User();
  await user.signUp({ username: uid('lq'), password: PASSWORD, role: 'patient' });
  const client = new Parse.LiveQueryClient({ applicationId: APP_ID, serverURL: SERVER_URL.replace(/^http/, 'ws'),
    sessionToken: user.getSessionToken() });
  client.open();
  try {
    const tag = uid('visit');
    const sub = client.subscribe(new Parse.Query('SdkVisit').equalTo('tag', tag));
    await sub.subscribePromise;
    const heard = [];
    sub.on('create', (object) => heard.push(object));
    await new Parse.Object('SdkVisit').save({ tag, reason: 'quiet please' }, MK);  // dropped by the hook
    await new Parse.Object('SdkVisit').save({ tag, reason: 'Checkup' }, MK);
    const end = Date.now() + 5000;
    while (heard.length < 1 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 400));
    assert.deepEqual(heard.map((o) => [o.get('reason'), o.get('heardBy')]), [['checkup', user.get('username')]]);
  } finally {
    await client.close();
  }
});

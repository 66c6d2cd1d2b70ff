// What mobile SDKs and admin tools call at start: the current installation (saved without a
// session, updated by installationId), Parse.Config, Parse.Push with the master key, /serverInfo.
//
// The push test needs a receiver for the webhook push adapter: the pytest wrapper starts the server
// with --push-webhook-url http://127.0.0.1:$PARSE_PUSH_WEBHOOK_PORT/push-hook and this file listens
// on that port. Without the variable (another server) the push delivery test is skipped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { randomBytes, randomUUID } from 'node:crypto';
import { Parse, MK, ON_PARSE_POSTGRES, uid, newUser, expectParseError, rest } from './helpers.mjs';

const WEBHOOK_PORT = process.env.PARSE_PUSH_WEBHOOK_PORT;
const NO_FIND = "Clients aren't allowed to perform the find operation on the installation collection.";
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function apnsToken() {
  return randomBytes(32).toString('hex').toUpperCase(); // 64 hex characters, as iOS hands them over
}

test('the SDK saves the current installation without a session and updates the same one after', async () => {
  const inst = await Parse.Installation.currentInstallation();
  const iid = await Parse.CoreManager.getInstallationController().currentInstallationId();
  assert.equal(inst.get('installationId'), iid);
  assert.equal(inst.get('deviceType'), 'web');
  const channel = uid('ch');
  inst.set('channels', [channel]);
  await inst.save();
  assert.match(inst.id, /^[A-Za-z0-9]{10}$/);

  inst.set('appVersion', '2.0.0');
  await inst.save();
  const stored = await new Parse.Query(Parse.Installation).equalTo('installationId', iid).find(MK);
  assert.deepEqual(stored.map((i) => i.id), [inst.id]);
  assert.deepEqual(stored[0].get('channels'), [channel]);
  assert.equal(stored[0].get('appVersion'), '2.0.0');

  // a client may fetch its own installation by id (a query, even by id, is a find: refused)
  const mine = Parse.Installation.createWithoutData(inst.id);
  await mine.fetch();
  assert.equal(mine.get('installationId'), iid);
  await expectParseError(new Parse.Query(Parse.Installation).get(inst.id), 119, NO_FIND);
  await expectParseError(new Parse.Query(Parse.Installation).find(), 119, NO_FIND);
  await expectParseError(new Parse.Query(Parse.Installation).count(), 119, NO_FIND);
  await expectParseError(inst.destroy(), 119,
    "Clients aren't allowed to perform the delete operation on the installation collection.");

  // another object for the same device (a second SDK instance): saved onto the stored installation
  const twin = new Parse.Installation({ installationId: iid.toUpperCase(), deviceType: 'web', appName: 'twin' });
  await twin.save();
  if (!ON_PARSE_POSTGRES) assert.equal(twin.id, inst.id); // Parse answers without the objectId
  const after = await new Parse.Query(Parse.Installation).equalTo('installationId', iid).find(MK);
  assert.equal(after.length, 1);
  assert.equal(after[0].get('appName'), 'twin');
});

test('an iOS installation: token lowercased, identity fixed, a token taken over moves', async () => {
  const token = apnsToken();
  const phone = new Parse.Installation({ installationId: randomUUID(), deviceType: 'ios', deviceToken: token });
  await phone.save();
  await phone.fetch();
  assert.equal(phone.get('deviceToken'), token.toLowerCase());
  phone.set('deviceType', 'android');
  await expectParseError(phone.save(), 136, 'deviceType may not be changed in this operation');
  phone.revert();
  const anonymous = await rest('POST', '/classes/_Installation', { body: { deviceType: 'ios', channels: ['x'] } });
  assert.deepEqual(anonymous.json, { code: 135,
    error: 'at least one ID field (deviceToken, installationId) must be specified in this operation' });

  // the device is reinstalled: a new installationId, the same push token -> the old one is removed
  const reinstalled = new Parse.Installation({ installationId: randomUUID(), deviceType: 'ios', deviceToken: token });
  await reinstalled.save();
  const holders = await new Parse.Query(Parse.Installation).equalTo('deviceToken', token.toLowerCase()).find(MK);
  assert.deepEqual(holders.map((i) => i.id), [reinstalled.id]);
});

test("an installation's user is the signed-in user", async () => {
  const alice = await newUser();
  const bob = await newUser();
  const inst = new Parse.Installation({ installationId: randomUUID(), deviceType: 'android', user: alice.user });
  await inst.save(null, { sessionToken: alice.token });
  inst.set('user', bob.user);
  await expectParseError(inst.save(null, { sessionToken: alice.token }), 119,
    "An installation's user can only be the signed-in user.");
  const stored = await new Parse.Query(Parse.Installation).get(inst.id, MK);
  assert.equal(stored.get('user').id, alice.user.id);
});

test('Parse.Config: saved with the master key, read by every client without the master-key-only parameters', async () => {
  const welcome = uid('welcome');
  const secret = uid('secret');
  const when = new Date('2026-01-02T03:04:05.000Z');
  const saved = await Parse.Config.save({ [welcome]: 'Hello', [secret]: 'k-1', openedOn: when }, { [secret]: true });
  assert.equal(saved.get(welcome), 'Hello');
  assert.equal(saved.get(secret), 'k-1');

  const config = await Parse.Config.get();
  assert.equal(config.get(welcome), 'Hello');
  assert.equal(config.get(secret), undefined);
  assert.ok(config.get('openedOn') instanceof Date);
  assert.equal(config.get('openedOn').toISOString(), when.toISOString());
  assert.equal((await Parse.Config.current()).get(welcome), 'Hello');
  assert.equal((await Parse.Config.get(MK)).get(secret), 'k-1');

  const refused = await rest('PUT', '/config', { body: { params: { [welcome]: 'pwned' } } });
  assert.equal(refused.status, 403);
  assert.equal((await Parse.Config.get()).get(welcome), 'Hello');
});

test('Parse.Push.send with the master key: stored, delivered to the webhook, status succeeded',
  { skip: WEBHOOK_PORT ? false : 'the server has no webhook push adapter (PARSE_PUSH_WEBHOOK_PORT unset)' },
  async () => {
    const received = [];
    const receiver = http.createServer((req, res) => {
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        received.push({ headers: req.headers, json: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end('{"ok":true}');
      });
    });
    await new Promise((resolve) => receiver.listen(Number(WEBHOOK_PORT), '127.0.0.1', resolve));
    try {
      const channel = uid('news');
      const token = apnsToken();
      const phone = new Parse.Installation({ installationId: randomUUID(), deviceType: 'ios', deviceToken: token,
        channels: [channel], badge: 2 });
      await phone.save();
      const other = new Parse.Installation({ installationId: randomUUID(), deviceType: 'android',
        deviceToken: uid('fcm'), channels: [uid('sport')] });
      await other.save();

      const statusId = await Parse.Push.send({ channels: [channel], data: { alert: 'Your results are ready', badge: 'Increment' } });
      assert.match(statusId, /^[A-Za-z0-9]{10}$/);
      let status;
      for (let i = 0; i < 400; i += 1) {
        status = await Parse.Push.getPushStatus(statusId);
        if (['succeeded', 'failed'].includes(status.get('status'))) break;
        await sleep(50);
      }
      assert.equal(status.get('status'), 'succeeded');
      assert.equal(status.get('numSent'), 1);
      assert.deepEqual(status.get('sentPerType'), { ios: 1 });
      assert.equal(status.get('source'), 'rest');

      const mine = received.filter((r) => r.json.pushStatusId === statusId);
      assert.equal(mine.length, 1);
      assert.equal(mine[0].headers['x-parse-push-status-id'], statusId);
      assert.deepEqual(mine[0].json.push.data, { alert: 'Your results are ready', badge: 'Increment' });
      assert.deepEqual(mine[0].json.devices, [{ deviceToken: token.toLowerCase(), deviceType: 'ios', badge: 3 }]);
      await phone.fetch();
      assert.equal(phone.get('badge'), 3);

      // a client may neither send a push nor read its status
      const refused = await rest('POST', '/push', { body: { channels: [channel], data: { alert: 'x' } } });
      assert.deepEqual([refused.status, refused.json], [403, { error: 'Permission denied' }]);
      await expectParseError(Parse.Push.getPushStatus(statusId, { useMasterKey: false }), 119,
        "Clients aren't allowed to perform the find operation on the _PushStatus collection.");
    } finally {
      await new Promise((resolve) => receiver.close(resolve));
    }
  });

test('a push is checked as Parse checks it', async () => {
  const both = await rest('POST', '/push', { master: true, body: { channels: ['a'], where: {}, data: {} } });
  assert.deepEqual([both.status, both.json], [400, { code: 115, error: 'Channels and query can not be set at the same time.' }]);
  const neither = await rest('POST', '/push', { master: true, body: { data: { alert: 'x' } } });
  assert.deepEqual(neither.json, { code: 115, error: 'Sending a push requires either "channels" or a "where" query.' });
});

test('/serverInfo answers administration tools in Parse\'s shape (master key)', async () => {
  const refused = await rest('GET', '/serverInfo');
  assert.equal(refused.status, 403);
  const info = await rest('GET', '/serverInfo', { master: true });
  assert.equal(info.status, 200);
  assert.match(info.json.parseServerVersion, /^\d+\.\d+\.\d+/);
  for (const key of ['globalConfig', 'hooks', 'cloudCode', 'logs', 'push', 'schemas']) {
    assert.equal(typeof info.json.features[key], 'object', key);
  }
  assert.equal(info.json.features.globalConfig.read, true);
  assert.equal(info.json.features.schemas.addClass, true);
  if (!ON_PARSE_POSTGRES) {
    assert.equal(info.json.features.push.immediatePush, Boolean(WEBHOOK_PORT));
    assert.equal(info.json.features.hooks.create, true);  // Parse's /hooks API (Cloud Code webhooks)
    assert.equal(info.json.features.cloudCode.jobs, true);
  }
});

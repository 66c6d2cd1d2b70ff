// Account features through the JS SDK: password policy (142), TOTP MFA enrolment with
// user.save({authData: {mfa}}) and Parse.User.logInWithAdditionalAuth, password reset request.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { Parse, MK, PASSWORD, uid, newUser, ensureSeedSchema, expectParseError } from './helpers.mjs';

// The reference Parse Server is not configured with the mfa adapter or a password policy.
const CHARTKEEP_ONLY = process.env.PARSE_REFERENCE ? { skip: 'needs Chartkeep account settings' } : {};

const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
function base32(bytes) {
  let bits = '';
  for (const b of bytes) bits += b.toString(2).padStart(8, '0');
  let out = '';
  for (let i = 0; i + 5 <= bits.length; i += 5) out += B32[parseInt(bits.slice(i, i + 5), 2)];
  return out;
}
function fromBase32(text) {
  let bits = '';
  for (const c of text) bits += B32.indexOf(c).toString(2).padStart(5, '0');
  const out = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) out.push(parseInt(bits.slice(i, i + 8), 2));
  return Buffer.from(out);
}
/** RFC 6238 TOTP (SHA1, 6 digits, 30 s), as authenticator apps compute it. */
function totp(secret, stepsAhead = 0) {
  const step = Math.floor(Date.now() / 30000) + stepsAhead;
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(step));
  const mac = createHmac('sha1', fromBase32(secret)).update(msg).digest();
  const offset = mac[mac.length - 1] & 0xf;
  const code = (mac.readUInt32BE(offset) & 0x7fffffff) % 1000000;
  return String(code).padStart(6, '0');
}

before(async () => {
  await ensureSeedSchema();
});

test('signUp with a password the policy refuses -> 142', CHARTKEEP_ONLY, async () => {
  const user = new Parse.User();
  user.set({ username: uid('weak'), password: 'short', role: 'patient' });
  await expectParseError(user.signUp(), 142, 'Password does not meet the Password Policy requirements: at least 8 characters.');
});

test('MFA: enrol with save({authData}), then log in only with a TOTP code', CHARTKEEP_ONLY, async () => {
  const { user, token, username } = await newUser();
  const secret = base32(randomBytes(20));
  await user.save({ authData: { mfa: { secret, token: totp(secret) } } }, { sessionToken: token });
  const recovery = user.get('authDataResponse')?.mfa?.recovery;
  assert.equal(typeof recovery, 'string');
  assert.equal(recovery.split(', ').length, 2);
  const fetched = await new Parse.Query(Parse.User).get(user.id, MK);
  assert.deepEqual(fetched.get('authData'), { mfa: { status: 'enabled' } }, 'the secret never comes back');

  const missing = await expectParseError(Parse.User.logIn(username, PASSWORD), Parse.Error.OTHER_CAUSE);
  assert.equal(missing.message, 'Missing additional authData mfa');
  await expectParseError(
    Parse.User.logInWithAdditionalAuth(username, PASSWORD, { mfa: { token: 'abcdef' } }), 141, 'Invalid MFA token');
  const loggedIn = await Parse.User.logInWithAdditionalAuth(username, PASSWORD, { mfa: { token: totp(secret) } });
  assert.equal(loggedIn.id, user.id);
  assert.ok(loggedIn.getSessionToken());
  const viaRecovery = await Parse.User.logInWithAdditionalAuth(
    username, PASSWORD, { mfa: { token: recovery.split(', ')[0] } });
  assert.equal(viaRecovery.id, user.id);
});

test('requestPasswordReset resolves for known and unknown emails alike', async () => {
  const { username } = await newUser();
  await Parse.User.requestPasswordReset(`${username}@example.test`);
  await Parse.User.requestPasswordReset(`${uid('ghost')}@example.test`);
});

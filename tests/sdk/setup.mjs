// Standalone seed-schema setup: `node tests/sdk/setup.mjs`.
// Idempotent; the test files also call ensureSeedSchema() in a before() hook.
import { ensureSeedSchema, SEED_CLASSES, SERVER_URL } from './helpers.mjs';

await ensureSeedSchema();
console.log(`seed schema present on ${SERVER_URL}: ${SEED_CLASSES.map((c) => c.className).join(', ')}`);

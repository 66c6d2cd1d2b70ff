// A Parse Server 9 for tests that read its PostgreSQL database (tests/parse_server/test_import_from_parse.py).
// Every value comes from the environment, so the Python test owns them.
const http = require('http');
const express = require('express');
const { ParseServer } = require('parse-server');

async function main() {
  const port = Number(process.env.PORT);
  const server = new ParseServer({
    databaseURI: process.env.DATABASE_URI,
    appId: process.env.APP_ID,
    masterKey: process.env.MASTER_KEY,
    serverURL: `http://127.0.0.1:${port}/parse`,
    allowCustomObjectId: process.env.ALLOW_CUSTOM_OBJECT_ID === '1', // loading an export keeps its objectIds
    logLevel: 'error',
    silent: true,
  });
  await server.start();
  const app = express();
  app.use('/parse', server.app);
  http.createServer(app).listen(port, '127.0.0.1', () => process.stdout.write(`parse-server listening on ${port}\n`));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

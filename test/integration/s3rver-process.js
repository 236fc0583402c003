// Runs s3rver in its own process and prints its port as one JSON line.
// Own process because s3rver encrypts listing continuation tokens with DES, which Node 20's
// OpenSSL 3 only offers with --openssl-legacy-provider; the flag stays out of jest's processes.
'use strict';
const S3rver = require('s3rver');

const directory = process.argv[2];
const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory });

// s3rver writes an object's bytes in place and its metadata as a second file, so two PUTs
// of one key at once can leave the bytes of one with the metadata of the other, and a GET
// during a PUT can read half a file. No real S3 does either: each PUT is atomic. Requests
// for one key (path) are therefore run one at a time here. Conditional writes stay
// ignored, as s3rver does: that path of the client is still the one exercised.
const queues = new Map();
function oneAtATime(req, res, handle) {
  const key = req.url.split('?')[0];
  const before = queues.get(key) ?? Promise.resolve();
  const done = before.then(
    () =>
      new Promise((resolve) => {
        res.on('close', resolve);
        handle(req, res);
      }),
  );
  queues.set(key, done);
  done.then(() => {
    if (queues.get(key) === done) queues.delete(key);
  });
}
const koaHandler = server.callback.bind(server);
server.callback = () => {
  const handle = koaHandler();
  return (req, res) => oneAtATime(req, res, handle);
};

server.run().then(
  ({ port }) => process.stdout.write(JSON.stringify({ port }) + '\n'),
  (err) => {
    process.stderr.write(`s3rver failed to start: ${err.stack || err}\n`);
    process.exit(1);
  },
);
process.on('SIGTERM', () => server.close().finally(() => process.exit(0)));

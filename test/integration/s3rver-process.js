// Runs s3rver in its own process and prints its port as one JSON line.
// Own process because s3rver encrypts listing continuation tokens with DES, which Node 20's
// OpenSSL 3 only offers with --openssl-legacy-provider; the flag stays out of jest's processes.
'use strict';
const S3rver = require('s3rver');

const directory = process.argv[2];
const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory });
server.run().then(
  ({ port }) => process.stdout.write(JSON.stringify({ port }) + '\n'),
  (err) => {
    process.stderr.write(`s3rver failed to start: ${err.stack || err}\n`);
    process.exit(1);
  },
);
process.on('SIGTERM', () => server.close().finally(() => process.exit(0)));

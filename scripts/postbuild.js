// Makes the CLI entry executable after tsc, as npm would on install.
const fs = require('node:fs');
const path = require('node:path');
const cli = path.join(__dirname, '..', 'dist', 'cli', 'main.js');
if (fs.existsSync(cli)) fs.chmodSync(cli, 0o755);

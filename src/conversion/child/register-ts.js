'use strict';
// Lets the conversion child process run straight from the TypeScript sources (under jest, or
// `node -r` in development): compiles each .ts file on require with TypeScript's
// transpileModule. Module kind node16 keeps `import()` of ESM-only packages (mupdf) intact.
// Compiled files are cached in node_modules/.cache by content hash, so TypeScript itself is
// loaded only when a source changed. The compiled build in dist/ never loads this file.
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const OPTIONS = {
  module: 'node16',
  moduleResolution: 'node16',
  target: 'es2022',
  esModuleInterop: true,
  experimentalDecorators: true,
  emitDecoratorMetadata: true,
  inlineSourceMap: true,
};
// Beside the project's packages, not in the temporary folder: a conversion process's TMPDIR is
// the job's own (tests check that a conversion leaves nothing there).
const cacheDir = path.join(__dirname, '..', '..', '..', 'node_modules', '.cache', 'durafax-ts');
let ts = null;

function compile(source, filename) {
  ts ??= require('typescript');
  const { options } = ts.convertCompilerOptionsFromJson(OPTIONS, path.dirname(filename));
  return ts.transpileModule(source, { fileName: filename, compilerOptions: options }).outputText;
}

require.extensions['.ts'] = (module, filename) => {
  const source = fs.readFileSync(filename, 'utf8');
  const key = crypto.createHash('sha256').update(JSON.stringify(OPTIONS)).update(filename).update('\0').update(source).digest('hex');
  const cached = path.join(cacheDir, `${key}.js`);
  let output;
  try {
    output = fs.readFileSync(cached, 'utf8');
  } catch {
    output = compile(source, filename);
    try {
      fs.mkdirSync(cacheDir, { recursive: true });
      const tmp = `${cached}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, output);
      fs.renameSync(tmp, cached);
    } catch {
      // A read-only temp folder only costs speed.
    }
  }
  module._compile(output, filename);
};

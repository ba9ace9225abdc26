#!/usr/bin/env node
// The Temporal UI's static build (ui/ → ui/build), kept apart from the web and worker: its
// packages live in ui/node_modules, installed from ui/package-lock.json.
//   node scripts/ui.js install   install ui/'s packages when its lockfile changed (npm postinstall)
//   node scripts/ui.js build     the same, then build when an input changed; prints time and size
// Both do nothing without ui/package.json (a copy of the project without the UI's sources).
'use strict';
const { spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const UI = path.resolve(__dirname, '..', 'ui');
const BUILD = path.join(UI, 'build');
const INSTALLED_STAMP = path.join(UI, 'node_modules', '.durafax-installed');
const BUILT_STAMP = path.join(BUILD, 'durafax-ui.json');
const LOCK = path.join(UI, '.build-lock');
const CONFIG_FILES = ['package.json', 'package-lock.json', 'svelte.config.js', 'vite.config.js', 'vite.markdown.config.js', 'tailwind.config.js', 'postcss.config.js'];
/** Folders of inputs: the app shell, its static files, and what the UI server loads (server/). */
const SOURCE_DIRS = ['src', 'static', 'server'];

const say = (line) => process.stdout.write(`[ui] ${line}\n`);

function hashFiles(files) {
  const hash = crypto.createHash('sha256');
  for (const file of files) {
    hash.update(path.relative(UI, file));
    hash.update('\0');
    hash.update(fs.existsSync(file) ? fs.readFileSync(file) : '');
    hash.update('\0');
  }
  return hash.digest('hex');
}

function listFiles(dir) {
  const out = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listFiles(full));
    else out.push(full);
  }
  return out.sort();
}

function readStamp(file) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
}

function run(cmd, args) {
  const res = spawnSync(cmd, args, { cwd: UI, stdio: 'inherit', env: process.env });
  if (res.status !== 0) {
    process.stderr.write(`[ui] ${cmd} ${args.join(' ')} failed (exit ${res.status})\n`);
    process.exit(1);
  }
}

function install() {
  const lock = hashFiles(['package.json', 'package-lock.json'].map((f) => path.join(UI, f)));
  if (readStamp(INSTALLED_STAMP)?.lock === lock) return;
  say('installing the Temporal UI packages (ui/node_modules)…');
  const npm = process.env.npm_execpath ? [process.execPath, [process.env.npm_execpath]] : ['npm', []];
  run(npm[0], [...npm[1], 'install', '--no-audit', '--no-fund', '--loglevel=error']);
  fs.writeFileSync(INSTALLED_STAMP, JSON.stringify({ lock }));
}

function dirSize(dir) {
  return listFiles(dir).reduce((acc, f) => ({ bytes: acc.bytes + fs.statSync(f).size, files: acc.files + 1 }), { bytes: 0, files: 0 });
}

function build() {
  install();
  const inputs = hashFiles([...CONFIG_FILES.map((f) => path.join(UI, f)), ...SOURCE_DIRS.flatMap((d) => listFiles(path.join(UI, d)))]);
  const built = readStamp(BUILT_STAMP);
  if (built?.inputs === inputs && fs.existsSync(path.join(BUILD, 'index.html'))) {
    say(`the Temporal UI is up to date (@temporalio/ui ${built.uiVersion}, built ${built.builtAt})`);
    return;
  }
  say('building the Temporal UI (vite build; about a minute on 2 cores)…');
  const started = Date.now();
  fs.rmSync(BUILD, { recursive: true, force: true });
  const vite = path.join(UI, 'node_modules', 'vite', 'bin', 'vite.js');
  run(process.execPath, [vite, 'build', '--logLevel', 'warn']);
  // The markdown renderer of the UI's /render frames, for the server (ui/build/_server).
  run(process.execPath, [vite, 'build', '--config', 'vite.markdown.config.js']);
  const uiVersion = JSON.parse(fs.readFileSync(path.join(UI, 'node_modules', '@temporalio', 'ui', 'package.json'), 'utf8')).version;
  const { bytes, files } = dirSize(BUILD);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  fs.writeFileSync(BUILT_STAMP, JSON.stringify({ inputs, uiVersion, builtAt: new Date().toISOString(), seconds: Number(seconds), bytes, files }, null, 2));
  say(`built @temporalio/ui ${uiVersion} in ${seconds} s: ${(bytes / 1048576).toFixed(1)} MB in ${files} files (ui/build)`);
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

/**
 * One install or build at a time: `durafax start`, the e2e test and the browser stack may ask
 * at once. The lock is a folder (made atomically) holding the owner's pid; a lock whose owner
 * is gone is taken over. A waiter then finds the work done and does nothing.
 */
function withLock(fn) {
  const deadline = Date.now() + 10 * 60_000;
  for (;;) {
    try {
      fs.mkdirSync(LOCK);
      fs.writeFileSync(path.join(LOCK, 'pid'), String(process.pid));
      break;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
      const owner = Number(fs.readFileSync(path.join(LOCK, 'pid'), { encoding: 'utf8', flag: 'a+' }) || 0);
      if (owner && !alive(owner)) {
        fs.rmSync(LOCK, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`the Temporal UI build is locked by process ${owner} (${LOCK})`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 500);
    }
  }
  try {
    fn();
  } finally {
    fs.rmSync(LOCK, { recursive: true, force: true });
  }
}

if (!fs.existsSync(path.join(UI, 'package.json'))) process.exit(0);
const command = process.argv[2];
if (command === 'install') withLock(install);
else if (command === 'build') withLock(build);
else {
  process.stderr.write('usage: node scripts/ui.js install|build\n');
  process.exit(2);
}

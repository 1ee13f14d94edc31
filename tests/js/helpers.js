// Shared by the JS tests: run the built action (dist/index.js) or CLI (dist/cli.js) as a subprocess, the way the
// runner does, and read back what it wrote.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DIST_INDEX = path.join(ROOT, 'dist', 'index.js');
export const DIST_CLI = path.join(ROOT, 'dist', 'cli.js');

/** A fresh temp directory; `files` maps relative paths to contents. */
export function tempTree(files = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), 'timeshard-test-'));
  for (const [name, content] of Object.entries(files)) {
    const full = path.join(dir, name);
    mkdirp(path.dirname(full));
    writeFileSync(full, content);
  }
  return dir;
}

function mkdirp(dir) {
  mkdirSync(dir, { recursive: true });
}

export function removeTree(dir) {
  rmSync(dir, { recursive: true, force: true });
}

/** Parses a GITHUB_OUTPUT file (`name<<DELIMITER\nvalue\nDELIMITER\n` entries, as @actions/core writes). */
export function parseOutputFile(text) {
  const outputs = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i += 1) {
    const m = /^([^<=]+)<<(.+)$/.exec(lines[i]);
    if (!m) continue;
    const [, name, delimiter] = m;
    const value = [];
    i += 1;
    while (i < lines.length && lines[i] !== delimiter) {
      value.push(lines[i]);
      i += 1;
    }
    outputs[name] = value.join('\n');
  }
  return outputs;
}

/**
 * Runs dist/index.js (or `script`) with `inputs` as INPUT_* variables, in `cwd` as the workspace, with no cache
 * service (unless `env` brings one). Returns { status, stdout, stderr, outputs, summary }.
 */
export function runAction(inputs, options = {}) {
  const job = prepareAction(inputs, options);
  const result = spawnSync(job.node, [job.script], { ...job.spawnOptions, encoding: 'utf8', timeout: job.timeout });
  return job.finish(result.status, result.stdout, result.stderr);
}

/**
 * Like runAction, but without blocking the event loop — needed when a server in this process (the loopback cache)
 * must answer the action. Resolves to the same shape.
 */
export function runActionAsync(inputs, options = {}) {
  const job = prepareAction(inputs, options);
  return new Promise((resolve, reject) => {
    const child = spawn(job.node, [job.script], job.spawnOptions);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), job.timeout);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve(job.finish(status, stdout, stderr));
    });
  });
}

function prepareAction(inputs, { cwd, env = {}, node = process.execPath, timeout = 120000, script = DIST_INDEX } = {}) {
  const scratch = mkdtempSync(path.join(tmpdir(), 'timeshard-run-'));
  const outputFile = path.join(scratch, 'output');
  const summaryFile = path.join(scratch, 'summary');
  writeFileSync(outputFile, '');
  writeFileSync(summaryFile, '');
  const base = {};
  for (const key of ['PATH', 'HOME', 'LANG', 'SYSTEMROOT']) if (process.env[key]) base[key] = process.env[key];
  const inputEnv = {};
  for (const [name, value] of Object.entries(inputs)) inputEnv[`INPUT_${name.toUpperCase()}`] = value;
  const spawnOptions = {
    cwd,
    env: {
      ...base,
      GITHUB_WORKSPACE: cwd,
      GITHUB_OUTPUT: outputFile,
      GITHUB_STEP_SUMMARY: summaryFile,
      GITHUB_RUN_ID: '4242',
      GITHUB_RUN_ATTEMPT: '1',
      RUNNER_TEMP: scratch,
      ...inputEnv,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  };
  const finish = (status, stdout, stderr) => {
    const outputs = parseOutputFile(readFileSync(outputFile, 'utf8'));
    const summary = existsSync(summaryFile) ? readFileSync(summaryFile, 'utf8') : '';
    rmSync(scratch, { recursive: true, force: true });
    return { status, stdout, stderr, outputs, summary };
  };
  return { node, script, timeout, spawnOptions, finish };
}

/** Runs dist/cli.js with `args` in `cwd`; returns { status, stdout, stderr }. */
export function runCli(args, { cwd = ROOT, node = process.execPath, env = process.env } = {}) {
  const result = spawnSync(node, [DIST_CLI, ...args], {
    cwd,
    env,
    encoding: 'utf8',
    timeout: 120000,
    maxBuffer: 64 << 20,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Splits a matrix `tests` string the documented way, in a real shell; returns the words. */
export function shellWords(tests, shell = 'sh') {
  const script = 'eval "set -- $TESTS"; for a in "$@"; do printf "%s\\0" "$a"; done';
  const result = spawnSync(shell, ['-c', script], {
    env: { PATH: process.env.PATH, TESTS: tests },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (result.error) throw result.error;
  const text = result.stdout.toString('utf8');
  return text === '' ? [] : text.slice(0, -1).split('\0');
}

/** Lines of a step's stdout that start a workflow command (`::name ...::`), with the command name. */
export function commandLines(stdout) {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('::'))
    .map((l) => ({ line: l, command: /^::([a-z-]+)/.exec(l)?.[1] ?? '' }));
}

/** The documented select-mode pattern for long lists: the words come from a file, not from the environment. */
export function shellWordsFromFile(file, shell = 'sh') {
  const script = 'eval "set -- $(cat "$TESTS_FILE")"; for a in "$@"; do printf "%s\\0" "$a"; done';
  const result = spawnSync(shell, ['-c', script], {
    env: { PATH: process.env.PATH, TESTS_FILE: file },
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.status !== 0) throw new Error(`${shell} failed: ${result.stderr}`);
  const text = result.stdout.toString('utf8');
  return text === '' ? [] : text.slice(0, -1).split('\0');
}

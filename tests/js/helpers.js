// Shared by the JS tests: run the built action (dist/index.js) or CLI (dist/cli.js) as a subprocess, the way the
// runner does, and read back what it wrote.
import { spawnSync } from 'node:child_process';
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
 * Runs dist/index.js with `inputs` as INPUT_* variables, in `cwd` as the workspace, with no cache service (unless
 * `env` brings one). Returns { status, stdout, stderr, outputs, summary }.
 */
export function runAction(inputs, { cwd, env = {}, node = process.execPath, timeout = 120000 } = {}) {
  const scratch = mkdtempSync(path.join(tmpdir(), 'timeshard-run-'));
  const outputFile = path.join(scratch, 'output');
  const summaryFile = path.join(scratch, 'summary');
  writeFileSync(outputFile, '');
  writeFileSync(summaryFile, '');
  const base = {};
  for (const key of ['PATH', 'HOME', 'LANG', 'SYSTEMROOT']) if (process.env[key]) base[key] = process.env[key];
  const inputEnv = {};
  for (const [name, value] of Object.entries(inputs)) inputEnv[`INPUT_${name.toUpperCase()}`] = value;
  const result = spawnSync(node, [DIST_INDEX], {
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
    encoding: 'utf8',
    timeout,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const outputs = parseOutputFile(readFileSync(outputFile, 'utf8'));
  const summary = existsSync(summaryFile) ? readFileSync(summaryFile, 'utf8') : '';
  rmSync(scratch, { recursive: true, force: true });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, outputs, summary, error: result.error };
}

/** Runs dist/cli.js with `args` in `cwd`; returns { status, stdout, stderr }. */
export function runCli(args, { cwd = ROOT, node = process.execPath } = {}) {
  const result = spawnSync(node, [DIST_CLI, ...args], {
    cwd,
    encoding: 'utf8',
    timeout: 120000,
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

// A tiny simulated CI for the end-to-end test: runs the built action the way the runner does (a child process with
// INPUT_* variables, GITHUB_OUTPUT / GITHUB_STEP_SUMMARY files, a RUNNER_TEMP wiped per job), runs worker jobs with
// the documented `eval "set -- $TESTS"` pattern, and reads the JUnit files the example suite's reporter writes.
// Everything is asynchronous: the loopback cache server lives in the test process and must keep answering.

import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const NODE24 = path.join(ROOT, '.tools', 'node24', 'node_modules', 'node', 'bin', 'node');

/** Runs `command args` in `cwd` with exactly `env`; resolves {status, signal, stdout, stderr} (never rejects). */
export function run(command, args, { cwd, env, timeoutMs = 120_000 }) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out = [];
    const err = [];
    child.stdout.on('data', (c) => out.push(c));
    child.stderr.on('data', (c) => err.push(c));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const finish = (status, signal, error) => {
      clearTimeout(timer);
      resolve({
        status,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8') + (error ? String(error) : ''),
      });
    };
    child.on('error', (error) => finish(null, null, error));
    child.on('close', (status, signal) => finish(status, signal));
  });
}

/** The variables every step of the simulated runner has. */
export function baseEnv() {
  const env = {};
  for (const key of ['PATH', 'HOME', 'LANG', 'TMPDIR']) {
    if (process.env[key]) {
      env[key] = process.env[key];
    }
  }
  return env;
}

/**
 * Runs one action step (dist/index.js) as a fresh job: RUNNER_TEMP is emptied first (a new runner), then the action
 * runs with `inputs` as INPUT_* variables. Resolves {status, stdout, stderr, outputs, summary}.
 */
export async function actionStep(distIndex, inputs, { cwd, runnerTemp, env }) {
  rmSync(runnerTemp, { recursive: true, force: true });
  mkdirSync(runnerTemp, { recursive: true });
  const files = path.join(path.dirname(runnerTemp), `${path.basename(runnerTemp)}-files`);
  rmSync(files, { recursive: true, force: true });
  mkdirSync(files, { recursive: true });
  const outputFile = path.join(files, 'output');
  const summaryFile = path.join(files, 'summary');
  writeFileSync(outputFile, '');
  writeFileSync(summaryFile, '');
  const inputEnv = {};
  for (const [name, value] of Object.entries(inputs)) {
    inputEnv[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value;
  }
  const result = await run(NODE24, [distIndex], {
    cwd,
    env: {
      ...baseEnv(),
      GITHUB_WORKSPACE: cwd,
      GITHUB_OUTPUT: outputFile,
      GITHUB_STEP_SUMMARY: summaryFile,
      RUNNER_TEMP: runnerTemp,
      ...env,
      ...inputEnv,
    },
  });
  return {
    ...result,
    outputs: parseOutputFile(readFileSync(outputFile, 'utf8')),
    summary: readFileSync(summaryFile, 'utf8'),
  };
}

/** Parses a GITHUB_OUTPUT file (`name<<DELIMITER` … `DELIMITER` entries, as @actions/core writes them). */
export function parseOutputFile(text) {
  const outputs = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i += 1) {
    const head = /^([^<=]+)<<(.+)$/.exec(lines[i]);
    if (!head) {
      continue;
    }
    const value = [];
    for (i += 1; i < lines.length && lines[i] !== head[2]; i += 1) {
      value.push(lines[i]);
    }
    outputs[head[1]] = value.join('\n');
  }
  return outputs;
}

/** Workflow commands (`::warning::…`, `::error::…`) in a step's stdout: [{command, message}]. */
export function annotations(stdout) {
  return stdout
    .split(/\r?\n/)
    .map((line) => /^::(warning|error|notice)(?: [^:]*)?::(.*)$/.exec(line))
    .filter(Boolean)
    .map((m) => ({ command: m[1], message: m[2] }));
}

/**
 * One worker job: `sh -c 'eval "set -- $TESTS"; node --test … "$@"'` — the pattern the README documents — with
 * the example suite's file-aware JUnit reporter writing to `report`. Files run one at a time (wall time = sum).
 */
export function workerJob(tests, { cwd, report, reporter }) {
  const script =
    'eval "set -- $TESTS"; [ "$#" -gt 0 ] || { echo "no tests for this worker" >&2; exit 97; }; ' +
    'exec "$NODE" --test --test-concurrency=1 --test-reporter="$REPORTER" ' +
    '--test-reporter-destination="$REPORT" "$@"';
  return run('sh', ['-c', script], {
    cwd,
    env: { ...baseEnv(), TESTS: tests, NODE: NODE24, REPORT: report, REPORTER: reporter },
  });
}

/** Shell words of a matrix `tests` string, split by a real shell the documented way. */
export async function shellWords(tests) {
  const script = 'eval "set -- $TESTS"; for a in "$@"; do printf "%s\\0" "$a"; done';
  const result = await run('sh', ['-c', script], { cwd: ROOT, env: { PATH: process.env.PATH, TESTS: tests } });
  return result.stdout === '' ? [] : result.stdout.slice(0, -1).split('\0');
}

/**
 * The cases of a JUnit file written by examples/node-suite/reporters/junit-files.mjs:
 * {files: Map<file, {suiteSeconds, caseSeconds}>, cases: [{file, name, seconds, failed}]}.
 */
export function readJUnit(file) {
  const xml = readFileSync(file, 'utf8');
  const files = new Map();
  const cases = [];
  const suiteRe = /<testsuite\b([^>]*)>([\s\S]*?)<\/testsuite>|<testsuite\b([^>]*)\/>/g;
  let suite;
  while ((suite = suiteRe.exec(xml)) !== null) {
    const attrs = parseAttributes(suite[1] ?? suite[3]);
    const name = attrs.file ?? attrs.name;
    const entry = { suiteSeconds: Number(attrs.time ?? 0), caseSeconds: 0 };
    files.set(name, entry);
    const caseRe = /<testcase\b([^>]*?)(\/>|>([\s\S]*?)<\/testcase>)/g;
    let tc;
    while ((tc = caseRe.exec(suite[2] ?? '')) !== null) {
      const a = parseAttributes(tc[1]);
      const seconds = Number(a.time ?? 0);
      entry.caseSeconds += seconds;
      cases.push({ file: a.file ?? name, name: a.name, seconds, failed: /<failure\b/.test(tc[3] ?? '') });
    }
  }
  return { files, cases };
}

function parseAttributes(text) {
  const attrs = {};
  for (const m of String(text).matchAll(/([\w:-]+)="([^"]*)"/g)) {
    attrs[m[1]] = m[2]
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&quot;/g, '"')
      .replace(/&apos;/g, "'")
      .replace(/&amp;/g, '&');
  }
  return attrs;
}

/**
 * A file's measured time, the way the core reads a report: the suite time when it is larger than the sum of its
 * cases (hooks), else the sum of the cases.
 */
export function fileSeconds({ suiteSeconds, caseSeconds }) {
  return Math.max(suiteSeconds, caseSeconds);
}

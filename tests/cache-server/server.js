// A loopback test server for the GitHub Actions cache service v2, faithful to what the real @actions/cache client
// (6.x) and the Azure blob client it uses send and parse, so that tests run the unmodified client against it.
//
// What it implements (read from @actions/cache 6.3.0 lib/ and @azure/storage-blob 12.31.0):
//   - Twirp JSON RPCs under /twirp/github.actions.results.api.v1.CacheService/:
//       GetCacheEntryDownloadURL {key, restore_keys, version} → {ok, signed_download_url, matched_key}
//         lookup per readable scope in token order: exact key, then newest prefix match of the key, then each restore
//         key in order as a prefix (newest first); a miss is 200 + ok:false; a token without readable scopes is a
//         403 permission_denied whose message starts with `cache read denied:` (the client matches that prefix).
//       CreateCacheEntry {key, version} → {ok, signed_upload_url, message}
//         an existing (scope, key, version), finalized or merely reserved, is 409 already_exists, the real service's
//         answer; a token without a writable scope (or a read-only server) is 200 + ok:false with a message starting
//         `cache write denied:` (the client turns it into CacheWriteDeniedError); over `uploadsPerMinute` is 429
//         resource_exhausted with Retry-After.
//       FinalizeCacheEntryUpload {key, version, size_bytes} → {ok, entry_id, message}
//         the entry becomes visible to lookups only now; no blob or a size mismatch is ok:false with a message.
//     Twirp rules: POST only, Content-Type application/json, `Authorization: Bearer <token>` (401 unauthenticated
//     otherwise), errors as {code, msg} JSON with the Twirp status mapping (the client reads `msg`, and retries
//     500/502/503/504 and any body that is not JSON). Int64 fields are written as strings (protobuf JSON).
//   - Runtime tokens: unsigned-looking JWTs (HMAC-signed by this server) whose `ac` claim is the JSON string list of
//     cache scopes `[{"Scope":"refs/heads/main","Permission":3}]` (1 = read, 2 = write), as the runner's token has.
//     Writes go to the first writable scope; reads search the readable scopes in order.
//   - Blob storage behind the signed URLs (signature `sig` over permission, path and expiry, checked): Put Blob
//     (`PUT`, `x-ms-blob-type: BlockBlob`), Put Block (`?comp=block&blockid=`), Put Block List (`?comp=blocklist`,
//     XML <BlockList><Latest|Committed|Uncommitted>), Get Blob (`GET`, Range / x-ms-range → 206), Get Blob
//     Properties (`HEAD`). Success statuses and headers are the ones the Azure SDK's operation specs expect (201 for
//     the writes with ETag, Last-Modified, Content-MD5, x-ms-request-server-encrypted…), errors are Azure XML
//     <Error><Code/><Message/></Error> with x-ms-error-code.
//   - Two URL styles for the signed URLs: `loopback` (default) — path-style
//     http://127.0.0.1:PORT/<account>/<container>/<id>, which the client downloads with a plain GET (its non-Azure
//     path); `azure` — http://<account>.blob.core.windows.net/<container>/<id>, the production host shape, which
//     makes the client use the Azure SDK for the download too (getProperties + ranged downloadToBuffer with its
//     segment timeout). The `azure` style needs the process to route that host here: HTTP_PROXY set to the server
//     URL (the Azure SDK honours it; @actions/http-client bypasses proxies for loopback anyway); `env()` sets it.
//
// Not implemented: the cache service v1 REST API (`_apis/artifactcache`, used on GHES), protobuf-encoded Twirp, cache
// eviction / size quotas (the `insufficient usage` error), entry metadata (CacheMetadata / CacheScope messages, which
// the client never sends), HTTPS, blob leases, snapshots, conditional headers.
//
// Fault injection (programmatic): `fault(op, spec, count)` makes the next `count` calls of `op` (an OPS name) fail
// as `spec` says: {status} (Twirp/Azure error with that status), {reset} (destroy the socket), {hang: 'headers' |
// 'body'} (never answer / stall after the first bytes; until releaseHangs() or close() reset the connection),
// {corrupt: 'garbage' | 'truncate' | 'short'} (GetBlob only: random bytes of the right length / the first half with
// a matching Content-Length / the full Content-Length but the connection closed after half). `readOnly`,
// `denyReads` and `uploadsPerMinute` are plain settable properties. `log` records every request; `entries()` lists
// the stored entries.

import { createHash, createHmac, randomBytes } from 'node:crypto';
import http from 'node:http';

/** Twirp service path of the cache service v2. */
export const SERVICE = 'github.actions.results.api.v1.CacheService';

/** Names of the operations the server logs and can inject faults into. */
export const OPS = Object.freeze([
  'GetCacheEntryDownloadURL',
  'CreateCacheEntry',
  'FinalizeCacheEntryUpload',
  'PutBlob',
  'PutBlock',
  'PutBlockList',
  'GetBlob',
  'GetBlobProperties',
]);

const TWIRP_METHODS = new Set(['GetCacheEntryDownloadURL', 'CreateCacheEntry', 'FinalizeCacheEntryUpload']);

// Twirp error code → HTTP status (twirp spec, "Error codes").
const TWIRP_STATUS = {
  canceled: 408,
  invalid_argument: 400,
  malformed: 400,
  deadline_exceeded: 408,
  not_found: 404,
  bad_route: 404,
  already_exists: 409,
  permission_denied: 403,
  unauthenticated: 401,
  resource_exhausted: 429,
  failed_precondition: 412,
  aborted: 409,
  out_of_range: 400,
  unimplemented: 501,
  internal: 500,
  unavailable: 503,
  dataloss: 500,
};

// HTTP status of an injected fault → the Twirp code sent with it.
const STATUS_TO_TWIRP = {
  400: 'invalid_argument',
  401: 'unauthenticated',
  403: 'permission_denied',
  404: 'not_found',
  409: 'already_exists',
  429: 'resource_exhausted',
  500: 'internal',
  501: 'unimplemented',
  502: 'unavailable',
  503: 'unavailable',
  504: 'deadline_exceeded',
};

/** Permission bits of a scope in the token's `ac` claim. */
export const READ = 1;
/** Permission bits of a scope in the token's `ac` claim. */
export const WRITE = 2;

const AZURE_VERSION = '2025-01-05';
const MAX_BODY_BYTES = 512 * 1024 * 1024;
const BLOB_HOST_SUFFIX = '.blob.core.windows.net';

/**
 * Starts a server on an ephemeral loopback port.
 * @param {object} [options]
 * @param {'loopback'|'azure'} [options.blobStyle] shape of the signed blob URLs (see the file header)
 * @param {string} [options.account] storage account name in the blob URLs
 * @param {string} [options.container] container name in the blob URLs
 * @param {number} [options.uploadsPerMinute] CreateCacheEntry calls accepted per sliding minute (default 200)
 * @param {() => number} [options.now] clock in ms (for tests of the rate limit)
 * @returns {Promise<CacheServer>}
 */
export async function startCacheServer(options = {}) {
  const server = new CacheServer(options);
  await server.listen();
  return server;
}

/** The server; construct through `startCacheServer`. */
export class CacheServer {
  constructor(options = {}) {
    this.blobStyle = options.blobStyle ?? 'loopback';
    if (this.blobStyle !== 'loopback' && this.blobStyle !== 'azure') {
      throw new Error(`blobStyle must be 'loopback' or 'azure', got ${this.blobStyle}`);
    }
    this.account = options.account ?? 'devstoreaccount1';
    this.container = options.container ?? 'cache';
    this.uploadsPerMinute = options.uploadsPerMinute ?? 200;
    this.now = options.now ?? (() => Date.now());
    /** Requests in arrival order: {seq, op, method, path, status, fault?, key?, matchedKey?, bytes?}. */
    this.log = [];
    /** When true, every CreateCacheEntry is denied (`cache write denied:`), whatever the token says. */
    this.readOnly = false;
    /** When true, every GetCacheEntryDownloadURL is denied (`cache read denied:`), whatever the token says. */
    this.denyReads = false;
    this.secret = randomBytes(32);
    this.url = '';
    this._entries = [];
    this._blobs = new Map();
    this._faults = new Map();
    this._uploads = [];
    this._seq = 0;
    this._open = new Set();
    this._hung = new Set();
    this._http = http.createServer((req, res) => {
      this._handle(req, res).catch((error) => {
        if (!res.headersSent) {
          res.writeHead(500, { 'content-type': 'text/plain' });
        }
        res.end(`test server bug: ${error?.stack ?? error}`);
      });
    });
    this._http.on('connection', (socket) => {
      this._open.add(socket);
      socket.on('close', () => this._open.delete(socket));
    });
  }

  /** Binds to 127.0.0.1 on port 0. */
  listen() {
    return new Promise((resolve, reject) => {
      this._http.once('error', reject);
      this._http.listen(0, '127.0.0.1', () => {
        const { port } = this._http.address();
        this.url = `http://127.0.0.1:${port}/`;
        resolve();
      });
    });
  }

  /** Drops the connections of hung requests (the clients see a reset and may retry); the server keeps running. */
  releaseHangs() {
    for (const socket of this._hung) {
      socket.destroy();
    }
    this._hung.clear();
  }

  /** Stops the server, destroying open (including hung) connections. */
  close() {
    for (const socket of this._open) {
      socket.destroy();
    }
    this._http.closeAllConnections?.();
    return new Promise((resolve) => this._http.close(() => resolve()));
  }

  /**
   * A runtime token for the given cache scopes, in the runner's shape (JWT with an `ac` claim).
   * @param {object} [options]
   * @param {{scope: string, permission: number | 'r' | 'w' | 'rw'}[]} [options.scopes] default: main, read+write
   * @param {number} [options.expiresInSeconds] default one hour
   */
  token(options = {}) {
    const scopes = (options.scopes ?? [{ scope: 'refs/heads/main', permission: 'rw' }]).map((s) => ({
      Scope: s.scope,
      Permission: permissionBits(s.permission),
    }));
    const header = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
    const exp = Math.floor(this.now() / 1000) + (options.expiresInSeconds ?? 3600);
    const payload = b64url(JSON.stringify({ ac: JSON.stringify(scopes), exp, iss: 'timeshard-test-cache-server' }));
    const signature = b64url(createHmac('sha256', this.secret).update(`${header}.${payload}`).digest());
    return `${header}.${payload}.${signature}`;
  }

  /**
   * The environment variables a job step sees for this cache service.
   * @param {object} [options] `token` options, or `{token: string}` to pass one as is
   */
  env(options = {}) {
    const env = {
      ACTIONS_CACHE_SERVICE_V2: 'True',
      ACTIONS_RESULTS_URL: this.url,
      ACTIONS_RUNTIME_TOKEN: options.token ?? this.token(options),
      GITHUB_SERVER_URL: 'https://github.com',
    };
    if (this.blobStyle === 'azure') {
      env.HTTP_PROXY = this.url;
    }
    return env;
  }

  /**
   * Injects a fault into the next `count` calls of `op`.
   * @param {string} op one of OPS
   * @param {{status?: number, message?: string, reset?: boolean, hang?: 'headers'|'body',
   *          corrupt?: 'garbage'|'truncate'|'short'}} spec
   * @param {number} [count] default 1; Infinity for every call
   */
  fault(op, spec, count = 1) {
    if (!OPS.includes(op)) {
      throw new Error(`unknown op ${op}; expected one of ${OPS.join(', ')}`);
    }
    if (spec.corrupt && op !== 'GetBlob') {
      throw new Error('corrupt faults apply to GetBlob only');
    }
    const queue = this._faults.get(op) ?? [];
    queue.push({ spec, left: count });
    this._faults.set(op, queue);
  }

  /** Removes every pending fault. */
  clearFaults() {
    this._faults.clear();
  }

  /** Stored entries (reserved and finalized), oldest first. */
  entries() {
    return this._entries.map((e) => ({
      id: e.id,
      key: e.key,
      version: e.version,
      scope: e.scope,
      state: e.state,
      size: e.size,
      created: e.created,
    }));
  }

  /** The committed blob bytes of an entry (by id), or undefined. */
  blob(id) {
    return this._blobs.get(String(id))?.committed;
  }

  /** Number of logged calls of `op` (optionally only those answered with `status`). */
  count(op, status) {
    return this.log.filter((l) => l.op === op && (status === undefined || l.status === status)).length;
  }

  // ---------------------------------------------------------------------------------------------------------------

  async _handle(req, res) {
    const target = this._target(req);
    if (target.kind === 'twirp') {
      await this._twirp(req, res, target.method);
    } else if (target.kind === 'blob') {
      await this._blob(req, res, target);
    } else {
      const seq = ++this._seq;
      this.log.push({ seq, op: 'unknown', method: req.method, path: target.path, status: 404 });
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
    }
  }

  _target(req) {
    // Absolute-form request lines arrive through HTTP_PROXY (azure style); origin-form ones directly.
    const url = new URL(req.url, `http://${req.headers.host ?? '127.0.0.1'}`);
    const prefix = `/twirp/${SERVICE}/`;
    if (url.pathname.startsWith(prefix)) {
      return { kind: 'twirp', method: url.pathname.slice(prefix.length), path: url.pathname };
    }
    let segments = url.pathname.split('/').slice(1).map(decodeURIComponent);
    let account;
    if (url.hostname.endsWith(BLOB_HOST_SUFFIX)) {
      account = url.hostname.slice(0, -BLOB_HOST_SUFFIX.length);
    } else {
      account = segments[0];
      segments = segments.slice(1);
    }
    if (account === this.account && segments.length === 2 && segments[0] === this.container && segments[1]) {
      return { kind: 'blob', url, name: segments[1], path: url.pathname };
    }
    return { kind: 'none', path: url.pathname };
  }

  /**
   * The connection-level faults, shared by the Twirp and blob endpoints: `reset` destroys the socket, `hang` never
   * answers (the socket is destroyed by releaseHangs() or close()). Records the fault on the log entry; returns
   * true when the request was consumed.
   */
  _dropConnection(req, entry, fault) {
    entry.fault = describeFault(fault);
    if (!fault.reset && !fault.hang) return false;
    entry.status = 0;
    if (fault.reset) req.socket.destroy();
    else this._hung.add(req.socket);
    return true;
  }

  _takeFault(op) {
    const queue = this._faults.get(op);
    if (!queue || queue.length === 0) {
      return undefined;
    }
    const head = queue[0];
    head.left -= 1;
    if (head.left <= 0) {
      queue.shift();
    }
    return head.spec;
  }

  // --- Twirp ------------------------------------------------------------------------------------------------------

  async _twirp(req, res, method) {
    const op = TWIRP_METHODS.has(method) ? method : 'unknown';
    const entry = { seq: ++this._seq, op, method: req.method, path: req.url };
    this.log.push(entry);
    const fail = (code, msg, headers = {}) => {
      entry.status = TWIRP_STATUS[code] ?? 500;
      entry.error = msg;
      sendJson(res, entry.status, { code, msg }, headers);
    };
    if (req.method !== 'POST') {
      await drain(req);
      return fail('bad_route', `unsupported method ${req.method} (only POST is allowed)`);
    }
    if (!TWIRP_METHODS.has(method)) {
      await drain(req);
      return fail('bad_route', `no handler for path ${req.url}`);
    }
    const contentType = String(req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (contentType !== 'application/json') {
      await drain(req);
      return fail('bad_route', `unexpected Content-Type: ${req.headers['content-type'] ?? '(none)'}`);
    }
    let raw;
    try {
      raw = await readBody(req);
    } catch (error) {
      return fail('malformed', `request body: ${error.message}`);
    }
    const claims = this._verifyToken(req.headers.authorization);
    if (typeof claims === 'string') {
      return fail('unauthenticated', claims);
    }
    const fault = this._takeFault(method);
    if (fault) {
      if (this._dropConnection(req, entry, fault)) return undefined;
      const code = STATUS_TO_TWIRP[fault.status] ?? 'internal';
      entry.status = fault.status;
      entry.error = fault.message ?? 'injected fault';
      return sendJson(res, fault.status, { code, msg: fault.message ?? 'injected fault' });
    }
    let body;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch (error) {
      return fail('malformed', `the json request could not be decoded: ${error.message}`);
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      return fail('malformed', 'the json request is not an object');
    }
    const scopes = claims.scopes;
    if (method === 'GetCacheEntryDownloadURL') {
      return this._getDownloadUrl(body, scopes, entry, res, fail);
    }
    if (method === 'CreateCacheEntry') {
      return this._createEntry(body, scopes, entry, res, fail);
    }
    return this._finalize(body, scopes, entry, res, fail);
  }

  _verifyToken(header) {
    const match = /^Bearer (.+)$/.exec(String(header ?? ''));
    if (!match) {
      return 'missing bearer token';
    }
    const parts = match[1].split('.');
    if (parts.length !== 3) {
      return 'malformed token';
    }
    const expected = b64url(createHmac('sha256', this.secret).update(`${parts[0]}.${parts[1]}`).digest());
    if (expected !== parts[2]) {
      return 'invalid token signature';
    }
    let payload;
    try {
      payload = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    } catch {
      return 'malformed token payload';
    }
    if (typeof payload.exp === 'number' && payload.exp * 1000 < this.now()) {
      return 'token expired';
    }
    let scopes;
    try {
      scopes = JSON.parse(payload.ac ?? '[]');
    } catch {
      return 'malformed ac claim';
    }
    if (!Array.isArray(scopes)) {
      return 'malformed ac claim';
    }
    return { scopes: scopes.map((s) => ({ scope: String(s.Scope), permission: Number(s.Permission) | 0 })) };
  }

  _getDownloadUrl(body, scopes, entry, res, fail) {
    const key = body.key;
    const version = body.version;
    const restoreKeys = body.restore_keys ?? [];
    if (typeof key !== 'string' || key === '') {
      return fail('invalid_argument', 'key is required');
    }
    if (typeof version !== 'string' || version === '') {
      return fail('invalid_argument', 'version is required');
    }
    if (!Array.isArray(restoreKeys) || restoreKeys.some((k) => typeof k !== 'string')) {
      return fail('invalid_argument', 'restore_keys must be a list of strings');
    }
    entry.key = key;
    const readable = scopes.filter((s) => s.permission & READ);
    if (this.denyReads || readable.length === 0) {
      return fail('permission_denied', 'cache read denied: the token has no readable cache scope');
    }
    const found = this._lookup(key, restoreKeys, version, readable);
    if (!found) {
      entry.status = 200;
      entry.matchedKey = null;
      return sendJson(res, 200, { ok: false, signed_download_url: '', matched_key: '' });
    }
    entry.status = 200;
    entry.matchedKey = found.key;
    return sendJson(res, 200, {
      ok: true,
      signed_download_url: this._signedUrl(found.id, 'r'),
      matched_key: found.key,
    });
  }

  // Lookup order, per readable scope in token order (the run's ref first, then the base/default branch): exact key,
  // then the newest entry whose key starts with the key, then each restore key in order, newest prefix match first.
  // "Newest" = latest created (reservation order; ids increase with it, so ties cannot happen).
  _lookup(key, restoreKeys, version, readable) {
    for (const { scope } of readable) {
      const visible = this._entries.filter(
        (e) => e.state === 'finalized' && e.scope === scope && e.version === version,
      );
      const newest = (pred) => visible.filter(pred).sort((a, b) => b.id - a.id)[0];
      const hit =
        newest((e) => e.key === key) ??
        newest((e) => e.key.startsWith(key)) ??
        restoreKeys.reduce((acc, rk) => acc ?? newest((e) => e.key.startsWith(rk)), undefined);
      if (hit) {
        return hit;
      }
    }
    return undefined;
  }

  _createEntry(body, scopes, entry, res, fail) {
    const { key, version } = body;
    if (typeof key !== 'string' || key === '') {
      return fail('invalid_argument', 'key is required');
    }
    if (key.length > 512 || key.includes(',')) {
      return fail('invalid_argument', 'key must be at most 512 characters and contain no commas');
    }
    if (typeof version !== 'string' || version === '') {
      return fail('invalid_argument', 'version is required');
    }
    entry.key = key;
    const writable = scopes.find((s) => s.permission & WRITE);
    if (this.readOnly || !writable) {
      entry.status = 200;
      entry.denied = true;
      return sendJson(res, 200, {
        ok: false,
        signed_upload_url: '',
        message: 'cache write denied: the token for this run is read-only',
      });
    }
    const now = this.now();
    this._uploads = this._uploads.filter((t) => t > now - 60_000);
    if (this._uploads.length >= this.uploadsPerMinute) {
      const retryAfter = Math.max(1, Math.ceil((this._uploads[0] + 60_000 - now) / 1000));
      return fail('resource_exhausted', 'too many cache uploads', { 'retry-after': String(retryAfter) });
    }
    const existing = this._entries.find((e) => e.scope === writable.scope && e.key === key && e.version === version);
    if (existing) {
      return fail('already_exists', 'cache entry with the same key, version, and scope already exists');
    }
    this._uploads.push(now);
    const id = this._entries.length + 1;
    this._entries.push({ id, key, version, scope: writable.scope, state: 'reserved', size: 0, created: now });
    this._blobs.set(String(id), { committed: undefined, blocks: new Map(), etag: undefined, modified: undefined });
    entry.status = 200;
    entry.entryId = id;
    return sendJson(res, 200, { ok: true, signed_upload_url: this._signedUrl(id, 'cw'), message: '' });
  }

  _finalize(body, scopes, entry, res, fail) {
    const { key, version } = body;
    const size = Number(body.size_bytes ?? 0);
    if (typeof key !== 'string' || key === '' || typeof version !== 'string' || version === '') {
      return fail('invalid_argument', 'key and version are required');
    }
    if (!Number.isSafeInteger(size) || size < 0) {
      return fail('invalid_argument', `size_bytes must be a non-negative integer, got ${body.size_bytes}`);
    }
    entry.key = key;
    const writable = scopes.find((s) => s.permission & WRITE);
    const found =
      writable &&
      this._entries.find(
        (e) => e.scope === writable.scope && e.key === key && e.version === version && e.state === 'reserved',
      );
    if (!found) {
      return fail('not_found', 'no reserved cache entry with this key and version');
    }
    const blob = this._blobs.get(String(found.id));
    entry.status = 200;
    if (!blob?.committed) {
      return sendJson(res, 200, { ok: false, entry_id: '0', message: 'no blob was uploaded for this cache entry' });
    }
    if (blob.committed.length !== size) {
      return sendJson(res, 200, {
        ok: false,
        entry_id: '0',
        message: `size mismatch: ${blob.committed.length} bytes uploaded, finalize says ${size}`,
      });
    }
    found.state = 'finalized';
    found.size = size;
    entry.entryId = found.id;
    return sendJson(res, 200, { ok: true, entry_id: String(found.id), message: '' });
  }

  // --- signed URLs ------------------------------------------------------------------------------------------------

  _signedUrl(id, permission) {
    const path = `/${this.container}/${id}`;
    const expiry = new Date(this.now() + 3600_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const sig = this._sign(permission, path, expiry);
    const query = new URLSearchParams({ sv: AZURE_VERSION, sr: 'b', sp: permission, se: expiry, sig });
    if (this.blobStyle === 'azure') {
      return `http://${this.account}${BLOB_HOST_SUFFIX}${path}?${query}`;
    }
    return `${this.url}${this.account}${path}?${query}`;
  }

  _sign(permission, path, expiry) {
    return createHmac('sha256', this.secret).update(`${permission}\n${path}\n${expiry}`).digest('base64');
  }

  _checkSignature(url, name, needed) {
    const sp = url.searchParams.get('sp') ?? '';
    const se = url.searchParams.get('se') ?? '';
    const sig = url.searchParams.get('sig') ?? '';
    if (sig !== this._sign(sp, `/${this.container}/${name}`, se)) {
      return 'Signature did not match the string to sign.';
    }
    if (!(Date.parse(se) > this.now())) {
      return 'Signed expiry time has passed.';
    }
    if (![...needed].every((p) => sp.includes(p))) {
      return `This request is not authorized to perform this operation using this permission (needs ${needed}).`;
    }
    return undefined;
  }

  // --- blobs ------------------------------------------------------------------------------------------------------

  async _blob(req, res, target) {
    const { url, name } = target;
    const comp = url.searchParams.get('comp');
    let op;
    if (req.method === 'PUT' && comp === 'block') {
      op = 'PutBlock';
    } else if (req.method === 'PUT' && comp === 'blocklist') {
      op = 'PutBlockList';
    } else if (req.method === 'PUT' && comp === null) {
      op = 'PutBlob';
    } else if (req.method === 'GET' && comp === null) {
      op = 'GetBlob';
    } else if (req.method === 'HEAD' && comp === null) {
      op = 'GetBlobProperties';
    }
    const entry = { seq: ++this._seq, op: op ?? 'unknown', method: req.method, path: url.pathname, blob: name };
    this.log.push(entry);
    const requestId = randomBytes(16).toString('hex');
    const common = {
      'x-ms-request-id': requestId,
      'x-ms-version': AZURE_VERSION,
      date: new Date(this.now()).toUTCString(),
    };
    if (req.headers['x-ms-client-request-id']) {
      common['x-ms-client-request-id'] = req.headers['x-ms-client-request-id'];
    }
    const error = (status, code, message) => {
      entry.status = status;
      entry.error = code;
      const detail = `${escapeXml(message)}\nRequestId:${requestId}\nTime:${new Date(this.now()).toISOString()}`;
      const xml =
        `<?xml version="1.0" encoding="utf-8"?>` +
        `<Error><Code>${code}</Code><Message>${detail}</Message></Error>`;
      res.writeHead(status, {
        ...common,
        'x-ms-error-code': code,
        'content-type': 'application/xml',
        'content-length': Buffer.byteLength(xml),
      });
      res.end(req.method === 'HEAD' ? undefined : xml);
    };
    if (!op) {
      await drain(req);
      return error(400, 'UnsupportedHttpVerb', `The resource doesn't support ${req.method} with comp=${comp}.`);
    }
    const isWrite = op.startsWith('Put');
    const denied = this._checkSignature(url, name, isWrite ? 'w' : 'r');
    if (denied) {
      await drain(req);
      return error(403, 'AuthenticationFailed', `Server failed to authenticate the request. ${denied}`);
    }
    let body = Buffer.alloc(0);
    if (isWrite) {
      try {
        body = await readBody(req);
      } catch (e) {
        return error(400, 'InvalidInput', `request body: ${e.message}`);
      }
      const declared = req.headers['content-length'];
      if (declared !== undefined && Number(declared) !== body.length) {
        return error(400, 'InvalidInput', 'Content-Length does not match the body');
      }
    } else {
      await drain(req);
    }
    const fault = this._takeFault(op);
    if (fault && !fault.corrupt && !(fault.hang && op === 'GetBlob')) {
      if (this._dropConnection(req, entry, fault)) return undefined;
      const code = fault.status === 503 ? 'ServerBusy' : 'InternalError';
      return error(fault.status ?? 500, code, fault.message ?? 'injected fault');
    }
    const blob = this._blobs.get(name);
    if (!blob) {
      return error(404, isWrite ? 'ContainerNotFound' : 'BlobNotFound', 'The specified blob does not exist.');
    }
    if (op === 'PutBlob') {
      if (String(req.headers['x-ms-blob-type'] ?? '') !== 'BlockBlob') {
        const text = 'An HTTP header that is mandatory for this request is not specified: x-ms-blob-type.';
        return error(400, 'MissingRequiredHeader', text);
      }
      this._commit(blob, body);
      entry.bytes = body.length;
      return this._created(res, entry, common, blob, { 'content-md5': md5(body) });
    }
    if (op === 'PutBlock') {
      const blockId = url.searchParams.get('blockid') ?? '';
      const decoded = Buffer.from(blockId, 'base64');
      if (blockId === '' || decoded.length === 0 || decoded.length > 64 || decoded.toString('base64') !== blockId) {
        const text = `Value for one of the query parameters in the request URI is invalid: blockid=${blockId}`;
        return error(400, 'InvalidQueryParameterValue', text);
      }
      blob.blocks.set(blockId, body);
      entry.bytes = body.length;
      entry.blockId = blockId;
      return this._created(res, entry, common, undefined, { 'content-md5': md5(body) });
    }
    if (op === 'PutBlockList') {
      const wanted = parseBlockList(body.toString('utf8'));
      if (wanted === undefined) {
        return error(400, 'InvalidXmlDocument', 'XML specified is not syntactically valid.');
      }
      const parts = [];
      for (const { kind, id } of wanted) {
        const committed = blob.committedBlocks?.get(id);
        const uncommitted = blob.blocks.get(id);
        // Latest: the uncommitted block if there is one, else the committed one (Put Block List semantics).
        const part =
          kind === 'Committed' ? committed : kind === 'Uncommitted' ? uncommitted : (uncommitted ?? committed);
        if (!part) {
          const text = `The specified block list is invalid: block ${id} (${kind}) not found.`;
          return error(400, 'InvalidBlockList', text);
        }
        parts.push([id, part]);
      }
      const content = Buffer.concat(parts.map(([, p]) => p));
      this._commit(blob, content);
      blob.committedBlocks = new Map(parts);
      entry.bytes = content.length;
      entry.blocks = parts.length;
      return this._created(res, entry, common, blob, {});
    }
    // Reads.
    if (!blob.committed) {
      return error(404, 'BlobNotFound', 'The specified blob does not exist.');
    }
    const size = blob.committed.length;
    const props = {
      ...common,
      'content-type': 'application/octet-stream',
      'last-modified': blob.modified,
      etag: blob.etag,
      'accept-ranges': 'bytes',
      'x-ms-blob-type': 'BlockBlob',
      'x-ms-creation-time': blob.modified,
      'x-ms-lease-state': 'available',
      'x-ms-lease-status': 'unlocked',
      'x-ms-server-encrypted': 'true',
    };
    if (op === 'GetBlobProperties') {
      entry.status = 200;
      res.writeHead(200, { ...props, 'content-length': size });
      return res.end();
    }
    const range = parseRange(req.headers['x-ms-range'] ?? req.headers.range, size);
    if (range === null) {
      return error(416, 'InvalidRange', 'The range specified is invalid for the current size of the resource.');
    }
    const [start, end] = range ?? [0, size - 1];
    let data = blob.committed.subarray(start, end + 1);
    const status = range ? 206 : 200;
    const headers = { ...props, 'content-length': data.length };
    if (range) {
      headers['content-range'] = `bytes ${start}-${end}/${size}`;
    } else {
      headers['content-md5'] = md5(blob.committed);
    }
    entry.status = status;
    entry.bytes = data.length;
    if (fault) {
      entry.fault = describeFault(fault);
      if (fault.hang === 'headers') {
        entry.status = 0;
        this._hung.add(req.socket);
        return undefined;
      }
      if (fault.hang === 'body') {
        res.writeHead(status, headers);
        res.write(data.subarray(0, Math.min(data.length - 1, Math.max(1, data.length >> 1))));
        this._hung.add(req.socket);
        return undefined; // stalls until the client gives up, releaseHangs() or close()
      }
      if (fault.corrupt === 'garbage') {
        data = randomBytes(data.length);
      } else if (fault.corrupt === 'truncate') {
        data = data.subarray(0, data.length >> 1);
        headers['content-length'] = data.length;
        delete headers['content-md5'];
        if (range) {
          headers['content-range'] = `bytes ${start}-${start + data.length - 1}/${size}`;
        }
      } else if (fault.corrupt === 'short') {
        res.writeHead(status, headers);
        res.write(data.subarray(0, data.length >> 1));
        setImmediate(() => req.socket.destroy());
        return undefined;
      }
    }
    res.writeHead(status, headers);
    return res.end(data);
  }

  _commit(blob, content) {
    blob.committed = content;
    blob.blocks = new Map();
    blob.modified = new Date(this.now()).toUTCString();
    const digest = createHash('sha256').update(content).update(blob.modified).digest('hex');
    blob.etag = `"0x${digest.slice(0, 15).toUpperCase()}"`;
  }

  _created(res, entry, common, blob, extra) {
    entry.status = 201;
    const headers = {
      ...common,
      ...extra,
      'x-ms-request-server-encrypted': 'true',
      'content-length': 0,
    };
    if (blob) {
      headers.etag = blob.etag;
      headers['last-modified'] = blob.modified;
    }
    res.writeHead(201, headers);
    res.end();
  }
}

// --- helpers ------------------------------------------------------------------------------------------------------

function permissionBits(p) {
  if (typeof p === 'number') {
    return p;
  }
  return (String(p).includes('r') ? READ : 0) | (String(p).includes('w') ? WRITE : 0);
}

function b64url(data) {
  return Buffer.from(data).toString('base64url');
}

function md5(data) {
  return createHash('md5').update(data).digest('base64');
}

function describeFault(spec) {
  return Object.entries(spec)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

function sendJson(res, status, value, headers = {}) {
  const text = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error(`more than ${MAX_BODY_BYTES} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function drain(req) {
  return readBody(req).then(
    () => undefined,
    () => undefined,
  );
}

/** `bytes=a-b` / `bytes=a-` → [start, end] (inclusive); undefined for no header; null for unsatisfiable. */
function parseRange(header, size) {
  if (header === undefined) {
    return undefined;
  }
  const match = /^bytes=(\d+)-(\d*)$/.exec(String(header).trim());
  if (!match) {
    return undefined; // Azure ignores a malformed range and serves the whole blob
  }
  const start = Number(match[1]);
  const end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  if (start >= size || end < start) {
    return null;
  }
  return [start, end];
}

/** The ordered block references of a Put Block List body, or undefined when it is not a BlockList document. */
function parseBlockList(xml) {
  const body = /<BlockList>([\s\S]*)<\/BlockList>/.exec(xml);
  if (!body) {
    return undefined;
  }
  const items = [];
  const re = /<(Latest|Committed|Uncommitted)>([^<]*)<\/\1>/g;
  let match;
  while ((match = re.exec(body[1])) !== null) {
    items.push({ kind: match[1], id: match[2].trim() });
  }
  const rest = body[1].replace(re, '').trim();
  if (rest !== '') {
    return undefined;
  }
  return items;
}

function escapeXml(text) {
  const entities = { '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' };
  return String(text).replace(/[<>&'"]/g, (c) => entities[c]);
}

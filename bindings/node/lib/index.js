'use strict';
// The JavaScript face of the engine: Engine, Admin, Session, ManualClock, the generated operation
// namespaces and the error classes. See docs/node.md.
//
// Values in: plain objects, arrays, strings, booleans, null, finite numbers (integers within
// +-(2^53 - 1); beyond that they are refused, never rounded: pass a BigInt for an exact larger
// integer), BigInts (written exactly) and Dates (written as RFC 3339 UTC text). A property whose
// value is `undefined` is left out (as JSON.stringify does), so it counts as absent; `null` is
// sent as null (the engine treats null as absent for optional fields and refuses it for
// required ones). Anything else is an InvalidError naming the field.
// Values out: plain objects; times are the engine's RFC 3339 strings (2026-03-01T12:00:00.000Z).

const native = require('./native');
const errors = require('./errors');
const table = require('./ops.generated');

const { fromNative, invalid, LoyaltyError } = errors;
const MAX_DEPTH = 64;
const NS = Symbol('loyalty.namespaces');

// ---------------------------------------------------------------------------------------------
// Input encoding

// A lone surrogate (in a `u` regular expression a well-formed pair is one code point, so \p{Cs}
// matches only unpaired halves). String.prototype.isWellFormed needs Node 20.
const LONE_SURROGATE = /\p{Cs}/u;
const wellFormed = (s) => !LONE_SURROGATE.test(s);

function join(path, key) {
  return path ? `${path}.${key}` : key;
}

function isPlainObject(v) {
  if (v === null || typeof v !== 'object') return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function encodeValue(v, path, depth) {
  switch (typeof v) {
    case 'string':
      if (!wellFormed(v)) throw invalid(path, 'string holds a lone surrogate (not valid UTF-16)');
      return JSON.stringify(v);
    case 'number':
      if (!Number.isFinite(v)) throw invalid(path, `must be a finite number, got ${v}`);
      if (Number.isInteger(v) && !Number.isSafeInteger(v)) {
        throw invalid(path, `integer ${v} is beyond 2^53 - 1 and cannot be represented exactly; pass a BigInt`);
      }
      return Object.is(v, -0) ? '0' : JSON.stringify(v);
    case 'bigint':
      return v.toString();
    case 'boolean':
      return v ? 'true' : 'false';
    case 'object':
      break;
    default:
      throw invalid(path, `a ${typeof v} is not a JSON value`);
  }
  if (v === null) return 'null';
  if (depth >= MAX_DEPTH) throw invalid(path, `nested deeper than ${MAX_DEPTH} levels`);
  if (v instanceof Date) {
    if (Number.isNaN(v.getTime())) throw invalid(path, 'invalid Date');
    return JSON.stringify(v.toISOString());
  }
  if (Array.isArray(v)) {
    const parts = [];
    for (let i = 0; i < v.length; i++) {
      const item = v[i];
      if (item === undefined) throw invalid(`${path}[${i}]`, 'undefined in an array (use null)');
      parts.push(encodeValue(item, `${path}[${i}]`, depth + 1));
    }
    return `[${parts.join(',')}]`;
  }
  if (!isPlainObject(v)) {
    const what = v.constructor && v.constructor.name ? v.constructor.name : 'object';
    throw invalid(path, `a ${what} is not a JSON value (pass a plain object)`);
  }
  const parts = [];
  for (const key of Object.keys(v)) {
    const item = v[key];
    if (item === undefined) continue;
    if (!wellFormed(key)) throw invalid(join(path, key), 'key holds a lone surrogate');
    parts.push(`${JSON.stringify(key)}:${encodeValue(item, join(path, key), depth + 1)}`);
  }
  return `{${parts.join(',')}}`;
}

/** The input of an operation as JSON text (undefined or null: `{}`). */
function encodeInput(input) {
  if (input === undefined || input === null) return '{}';
  if (!isPlainObject(input)) throw invalid(null, 'the input must be a plain object');
  return encodeValue(input, '', 0);
}

// Text that may hold an integer beyond 2^53 - 1: a run of 16 or more digits (2^53 has 16), or a
// digit followed by an exponent (1e300). Anything else parses without the reviver, which costs
// more than the parse itself on a large result (a dry run's full explain trace). A string that
// merely looks like one (a sku "A1e5") only takes the slower checked path.
const MAYBE_UNSAFE_INTEGER = /\d{16}|\d[eE]/;

function decodeResult(text) {
  if (!MAYBE_UNSAFE_INTEGER.test(text)) return JSON.parse(text);
  return JSON.parse(text, (key, value) => {
    if (typeof value === 'number' && !Number.isSafeInteger(value) && Number.isInteger(value)) {
      throw new errors.InternalError(`result field ${key} holds an integer beyond 2^53 - 1`, {
        detail: { field: key },
      });
    }
    return value;
  });
}

function checkOp(op) {
  if (typeof op !== 'string' || op === '') throw new TypeError('the operation name must be a non-empty string');
}

// ---------------------------------------------------------------------------------------------
// Handles

function privateHandle(obj, cls) {
  // `#h` access on an object of another class throws TypeError (the type tag does the same
  // one level down, in the addon).
  if (!(obj instanceof cls)) throw new TypeError(`expected a ${cls.name}, got ${describe(obj)}`);
  return obj._h;
}

function describe(v) {
  if (v === null) return 'null';
  if (typeof v !== 'object') return typeof v;
  return v.constructor ? v.constructor.name : 'object';
}

class ManualClock {
  /** A clock that moves only when told to (pins the engine's time in tests). */
  constructor(start) {
    this._c = native.clockNew(toMs(start, 'start'));
  }
  /** The time as an ISO string. */
  now() {
    return new Date(native.clockGet(this._c)).toISOString();
  }
  nowMs() {
    return native.clockGet(this._c);
  }
  set(t) {
    native.clockSet(this._c, toMs(t, 't'));
  }
  /** Moves the clock by `ms` milliseconds (negative: back). */
  advance(ms) {
    if (typeof ms !== 'number' || !Number.isSafeInteger(ms)) throw invalid('ms', 'must be an integer number of milliseconds');
    native.clockSet(this._c, checkClockRange(native.clockGet(this._c) + ms, 'ms'));
  }
}

const CLOCK_MAX = 253402300799999;
function checkClockRange(ms, field) {
  if (!Number.isSafeInteger(ms) || ms < 0 || ms > CLOCK_MAX) {
    throw invalid(field, 'time outside 1970-01-01..9999-12-31');
  }
  return ms;
}

function toMs(t, field) {
  if (t instanceof Date) return checkClockRange(t.getTime(), field);
  if (typeof t === 'string') {
    const ms = Date.parse(t);
    if (Number.isNaN(ms)) throw invalid(field, `malformed time ${JSON.stringify(t)}`);
    return checkClockRange(ms, field);
  }
  if (typeof t === 'number') return checkClockRange(t, field);
  throw invalid(field, 'must be a Date, an ISO string or milliseconds');
}

const ENGINE_OPTIONS = {
  uri: 'string',
  adminKey: 'string',
  clock: 'clock',
  synchronous: 'sync',
  busyTimeoutMs: 'int',
  poolSize: 'int',
  cacheMb: 'int',
  walAutocheckpoint: 'int',
  masterKey: 'string',
  log: 'function',
};

function nativeOptions(options) {
  if (options === undefined || options === null) return {};
  if (!isPlainObject(options)) throw new TypeError('Engine.open options must be a plain object');
  const out = {};
  for (const [key, v] of Object.entries(options)) {
    const kind = ENGINE_OPTIONS[key];
    if (kind === undefined) throw invalid(key, 'unknown option');
    if (v === undefined || v === null) continue;
    if (kind === 'string') {
      if (typeof v !== 'string') throw invalid(key, 'must be a string');
      if (!wellFormed(v)) throw invalid(key, 'string holds a lone surrogate');
      out[key] = v;
    } else if (kind === 'int') {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < -2147483648 || v > 2147483647) {
        throw invalid(key, 'must be a 32-bit integer');
      }
      out[key] = v;
    } else if (kind === 'sync') {
      if (v !== 'full' && v !== 'normal') throw invalid(key, 'must be "full" or "normal"');
      out[key] = v === 'full' ? 0 : 1;
    } else if (kind === 'function') {
      if (typeof v !== 'function') throw invalid(key, 'must be a function (level, message)');
      out[key] = v;
    } else if (kind === 'clock') {
      if (!(v instanceof ManualClock)) throw invalid(key, 'must be a ManualClock');
      out[key] = v._c;
    }
  }
  return out;
}

function callNative(fn, ...args) {
  try {
    return fn(...args);
  } catch (e) {
    throw fromNative(e);
  }
}

class Engine {
  /** Internal: use Engine.open(). */
  constructor(h, adminKey) {
    if (!native.isHandle(h, 'engine')) throw new TypeError('use Engine.open()');
    Object.defineProperty(this, '_h', { value: h });
    Object.defineProperty(this, '_adminKey', { value: adminKey });
    this._closed = false;
  }

  /**
   * Opens (creating and migrating if needed) the database `uri` (default ":memory:").
   * Synchronous. Throws InvalidError naming a bad option, ForbiddenError for a wrong adminKey,
   * StorageError when the database cannot be opened.
   */
  static open(options = {}) {
    const opts = nativeOptions(options);
    return new Engine(callNative(native.engineOpen, opts), opts.adminKey);
  }

  /** The engine administrator (tenants, their keys, the engine's audit log). */
  admin(key) {
    const h = privateHandle(this, Engine);
    const k = key === undefined ? this._adminKey : key;
    if (typeof k !== 'string') throw invalid('key', 'the admin key must be a string (none was given to Engine.open)');
    return new Admin(callNative(native.adminOpen, h, k));
  }

  /** A tenant's session, bound by `apiKey`. */
  session(apiKey) {
    const h = privateHandle(this, Engine);
    if (typeof apiKey !== 'string') throw invalid('apiKey', 'must be a string');
    return new Session(callNative(native.sessionOpen, h, apiKey));
  }

  /**
   * Registers a JavaScript AI provider for the tenants configured with provider "callback":
   * an object with (async) methods recommendations, churn, segmentation, feedback and
   * locationInsights (or location_insights), each taking the operation's input object and
   * returning its output object. A method that throws, rejects, is missing or takes longer than
   * `timeoutMs` (default 5000) is a provider failure: UnavailableError for the AI call; earns,
   * redemptions and check-ins never call it. `null` unregisters it.
   */
  setAiProvider(provider, options = {}) {
    const h = privateHandle(this, Engine);
    if (provider === null || provider === undefined) {
      callNative(native.setAiProvider, h, null);
      return;
    }
    if (typeof provider !== 'object' && typeof provider !== 'function') {
      throw new TypeError('the AI provider must be an object with async methods');
    }
    const timeoutMs = options.timeoutMs ?? 5000;
    if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > 3600000) {
      throw invalid('timeoutMs', 'must be an integer 1..3600000');
    }
    const model = provider.model === undefined ? '' : String(provider.model);
    callNative(native.setAiProvider, h, makeDispatch(provider), model, timeoutMs);
  }

  /** Closes the engine: later calls on it, its admins and its sessions fail with MisuseError. */
  close() {
    const h = privateHandle(this, Engine);
    this._closed = true;
    native.engineClose(h);
  }

  get closed() {
    return this._closed;
  }
}

const AI_METHODS = {
  recommendations: ['recommendations'],
  churn: ['churn'],
  segmentation: ['segmentation'],
  feedback: ['feedback'],
  location_insights: ['locationInsights', 'location_insights'],
};

function makeDispatch(provider) {
  // Runs on the JavaScript thread; `done(text)` answers, `done()` fails. Nothing thrown here
  // reaches the engine: it only sees a failure.
  return (op, inputText, done) => {
    let answered = false;
    const answer = (text) => {
      if (answered) return;
      answered = true;
      done(text);
    };
    try {
      const names = AI_METHODS[op] || [];
      const name = names.find((n) => typeof provider[n] === 'function');
      if (!name) return answer();
      Promise.resolve(provider[name](JSON.parse(inputText)))
        .then((out) => {
          try {
            answer(typeof out === 'string' ? out : encodeValue(out, '', 0));
          } catch {
            answer();
          }
        })
        .catch(() => answer());
    } catch {
      answer();
    }
  };
}

class OpHandle {
  constructor(h) {
    Object.defineProperty(this, '_h', { value: h });
    this._closed = false;
  }

  /** Runs an operation by name ("ledger.earn") on an input object; resolves to the result. */
  call(op, input) {
    const h = privateHandle(this, OpHandle);
    try {
      checkOp(op);
      const text = encodeInput(input);
      return native.call(h, op, text).then(decodeResult, (e) => Promise.reject(fromNative(e)));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * The same, synchronously on the calling thread (blocks the event loop: use it for short
   * reads). On a session with asynchronous calls in flight it throws MisuseError.
   */
  callSync(op, input) {
    const h = privateHandle(this, OpHandle);
    checkOp(op);
    return decodeResult(callNative(native.callSync, h, op, encodeInput(input)));
  }

  /** Runs an operation on JSON text; resolves to the result as JSON text (the raw path). */
  callJson(op, json) {
    const h = privateHandle(this, OpHandle);
    try {
      checkOp(op);
      if (typeof json !== 'string') throw new TypeError('json must be a string');
      return native.call(h, op, json).catch((e) => Promise.reject(fromNative(e)));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** Closes this handle (idempotent): later calls reject with MisuseError; calls already made finish. */
  close() {
    const h = privateHandle(this, OpHandle);
    this._closed = true;
    native.close(h);
  }

  get closed() {
    return this._closed;
  }

  /** Calls made on this handle that have not finished yet. */
  get pending() {
    return native.pending(privateHandle(this, OpHandle));
  }
}

class Admin extends OpHandle {
  /** Internal: use engine.admin(). */
  constructor(h) {
    if (!native.isHandle(h, 'admin')) throw new TypeError('use engine.admin()');
    super(h);
  }
}

class Session extends OpHandle {
  /** Internal: use engine.session(). */
  constructor(h) {
    if (!native.isHandle(h, 'session')) throw new TypeError('use engine.session()');
    super(h);
  }
}

// ---------------------------------------------------------------------------------------------
// The generated namespaces: session.ledger.earn(input) runs "ledger.earn".

function installNamespaces(cls, namespaces) {
  for (const [ns, methods] of Object.entries(namespaces)) {
    const proto = {};
    for (const [method, op, sync] of methods) {
      Object.defineProperty(proto, method, {
        value: {
          [method](input) {
            return this._owner.call(op, input);
          },
        }[method],
        writable: true,
        configurable: true,
      });
      if (!sync) continue;
      Object.defineProperty(proto, `${method}Sync`, {
        value: {
          [`${method}Sync`](input) {
            return this._owner.callSync(op, input);
          },
        }[`${method}Sync`],
        writable: true,
        configurable: true,
      });
    }
    Object.defineProperty(cls.prototype, ns, {
      configurable: true,
      enumerable: false,
      get() {
        privateHandle(this, cls);
        let cache = this[NS];
        if (!cache) {
          cache = {};
          Object.defineProperty(this, NS, { value: cache });
        }
        return (cache[ns] ??= Object.create(proto, { _owner: { value: this } }));
      },
    });
  }
  Object.defineProperty(cls, 'operations', {
    value: Object.freeze(
      Object.values(namespaces)
        .flat()
        .map(([, op]) => op)
        .sort(),
    ),
  });
}
installNamespaces(Admin, table.admin);
installNamespaces(Session, table.session);

/** The library's version ("0.1.0"). */
function version() {
  return native.version();
}

/** Compiled-in features and operation names of the engine. */
function features() {
  return JSON.parse(native.features());
}

module.exports = {
  Engine,
  Admin,
  Session,
  ManualClock,
  version,
  features,
  encodeInput,
  LoyaltyError,
  InternalError: errors.InternalError,
  InvalidError: errors.InvalidError,
  NotFoundError: errors.NotFoundError,
  ConflictError: errors.ConflictError,
  InsufficientPointsError: errors.InsufficientPointsError,
  OutOfStockError: errors.OutOfStockError,
  LimitError: errors.LimitError,
  ForbiddenError: errors.ForbiddenError,
  UnavailableError: errors.UnavailableError,
  BusyError: errors.BusyError,
  StorageError: errors.StorageError,
  MisuseError: errors.MisuseError,
  NoMemoryError: errors.NoMemoryError,
};

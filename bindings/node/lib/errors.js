'use strict';
// Errors: one class per engine status, all under LoyaltyError. `code` is the pinned loy_status
// number of the C ABI, `status` the identifier used in JSON error objects (docs/errors.md).

class LoyaltyError extends Error {
  /**
   * @param {string} message human-readable (do not parse it)
   * @param {{code?: number, status?: string, field?: string|null, detail?: object}} [info]
   */
  constructor(message, info = {}) {
    super(message);
    const cls = new.target;
    this.name = cls.name;
    this.code = info.code ?? cls.CODE;
    this.status = info.status ?? cls.STATUS;
    this.field = info.field ?? null;
    this.detail = info.detail ?? (this.field === null ? {} : { field: this.field });
  }
}
LoyaltyError.CODE = -1;
LoyaltyError.STATUS = 'error';

const classes = [
  ['InternalError', -1, 'error'],
  ['InvalidError', -2, 'invalid'],
  ['NotFoundError', -3, 'not_found'],
  ['ConflictError', -4, 'conflict'],
  ['InsufficientPointsError', -5, 'insufficient'],
  ['OutOfStockError', -6, 'out_of_stock'],
  ['LimitError', -7, 'limit'],
  ['ForbiddenError', -8, 'forbidden'],
  ['UnavailableError', -9, 'unavailable'],
  ['BusyError', -10, 'busy'],
  ['StorageError', -11, 'storage'],
  ['MisuseError', -12, 'misuse'],
  ['NoMemoryError', -13, 'nomem'],
];

const errors = { LoyaltyError };
const byCode = new Map();
for (const [name, code, status] of classes) {
  // A named class (stack traces and `err.name` show it).
  const cls = { [name]: class extends LoyaltyError {} }[name];
  cls.CODE = code;
  cls.STATUS = status;
  errors[name] = cls;
  byCode.set(code, cls);
}

/** The error for a failure reported by the addon: {code, message, detail: JSON text}. */
function fromNative(e) {
  if (!e || typeof e.code !== 'number' || typeof e.detail !== 'string') return e; // a JS error
  let detail = {};
  try {
    detail = JSON.parse(e.detail);
  } catch {
    detail = {};
  }
  const cls = byCode.get(e.code) || errors.InternalError;
  const field = typeof detail.field === 'string' ? detail.field : null;
  return new cls(e.message, { code: e.code, status: cls.STATUS, field, detail });
}

/** An InvalidError raised by the package itself (before the engine is called). */
function invalid(field, message) {
  return new errors.InvalidError(field ? `${field}: ${message}` : message, { field: field || null });
}

module.exports = { ...errors, errorsByCode: byCode, fromNative, invalid };

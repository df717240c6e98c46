// The ES module entry point: the same objects as index.js, as named exports.
import loyalty from './index.js';

export const {
  Engine,
  Admin,
  Session,
  ManualClock,
  version,
  features,
  encodeInput,
  LoyaltyError,
  InternalError,
  InvalidError,
  NotFoundError,
  ConflictError,
  InsufficientPointsError,
  OutOfStockError,
  LimitError,
  ForbiddenError,
  UnavailableError,
  BusyError,
  StorageError,
  MisuseError,
  NoMemoryError,
} = loyalty;
export default loyalty;

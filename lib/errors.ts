// Error classes. libtorch's c10::Error becomes TorchError; its IndexError and
// TypeError kinds become IndexError (a RangeError) and TorchTypeError (a
// TypeError), which also count as TorchError for `instanceof`.

const TORCH_ERROR_BRAND = Symbol.for('torch-node.TorchError');

/** An error raised by libtorch or by torch-node's checks. Carries libtorch's message without the C++ backtrace (set TORCH_SHOW_CPP_STACKTRACES=1 for it). */
export class TorchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TorchError';
  }
  // IndexError and TorchTypeError extend RangeError/TypeError yet still count as TorchError.
  // Subclasses keep the ordinary prototype-chain check.
  static [Symbol.hasInstance](this: Function, value: unknown): boolean {
    if (this !== TorchError) return Function.prototype[Symbol.hasInstance].call(this, value);
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[TORCH_ERROR_BRAND] === true;
  }
}

/** libtorch's IndexError (an index out of range): a RangeError and a TorchError. */
export class IndexError extends RangeError {
  constructor(message: string) {
    super(message);
    this.name = 'IndexError';
  }
}

/** A wrong argument type: a TypeError and a TorchError. */
export class TorchTypeError extends TypeError {
  constructor(message: string) {
    super(message);
    this.name = 'TypeError';
  }
}

/** libtorch's ValueError: a bad value of the right type. */
export class ValueError extends TorchError {
  constructor(message: string) {
    super(message);
    this.name = 'ValueError';
  }
}

/** The op or feature is not available in this libtorch or not supported yet. */
export class NotImplementedError extends TorchError {
  constructor(message: string) {
    super(message);
    this.name = 'NotImplementedError';
  }
}

for (const cls of [TorchError, IndexError, TorchTypeError, ValueError, NotImplementedError]) {
  Object.defineProperty(cls.prototype, TORCH_ERROR_BRAND, { value: true });
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'an object';
  return `${typeof value} ${String(value)}`;
}

/** The one shape of argument error: "<where>: expected <what> for '<arg>' but received <value>". */
export function argumentError(where: string, arg: string, expected: string, received: unknown): TorchTypeError {
  return new TorchTypeError(`${where}: expected ${expected} for '${arg}' but received ${describe(received)}`);
}

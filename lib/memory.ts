// Deterministic memory management on top of GC finalization: dispose(), `using`,
// and tidy(fn), which frees every tensor created inside fn except what it returns.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { native, type SmallBlockStats } from './_C.js';

interface Disposable {
  dispose(): void;
}

const scopes: Disposable[][] = [];

/** @internal Every new Tensor reports itself here. */
export function trackTensor(t: Disposable): void {
  if (scopes.length > 0) scopes[scopes.length - 1].push(t);
  checkMemoryPressure();
}

// ---- garbage collection driven by native memory ----------------------------------------
// A training step can make tens of MB of activations while allocating only a few KB of JS
// objects, and V8 collects young objects only when its own young generation fills up: the
// dropped tensors would pile up. So on every new tensor we look at the tensors alive (the addon
// keeps their count and bytes in a shared buffer, so this costs no call):
// - when their native bytes grew by a step since the last collection, we collect the young
//   generation (cheap; the garbage is young), and everything if that did not free half;
// - when their number grew by YOUNG_TENSOR_LIMIT, we collect the young generation too. Many
//   small tensors (an elementwise loop on scalars) cost little memory, but freeing tens of
//   thousands at once in one of V8's own collections runs cold through the CPU caches and the
//   allocator's slow paths; freeing a few thousand at a time measured 25-30% faster per op.
const MIN_STEP_BYTES = 16 * 1024 * 1024;
const YOUNG_TENSOR_LIMIT = 4096;
const stats = new Float64Array(native.tensorStats); // [live count, live bytes]
let bytesAfterCollect = 0;
let countAfterCollect = 0;
let stepBytes = MIN_STEP_BYTES;
let v8Gc: ((options?: { type: 'minor' | 'major' }) => void) | undefined;

/** V8's gc(): `global.gc` under --expose-gc, else made reachable once through a fresh vm context. */
function gcFunction(): (options?: { type: 'minor' | 'major' }) => void {
  if (!v8Gc) {
    const exposed = (globalThis as { gc?: (options?: { type: 'minor' | 'major' }) => void }).gc;
    if (typeof exposed === 'function') v8Gc = exposed;
    else {
      setFlagsFromString('--expose-gc'); // installs gc() in contexts created from now on
      v8Gc = runInNewContext('gc') as (options?: { type: 'minor' | 'major' }) => void;
    }
  }
  return v8Gc;
}

/** Runs a synchronous garbage collection: the young generation only (`minor`) or everything. Finalizers of dropped tensors run during it. */
export function collectGarbage(minor = false): void {
  gcFunction()(minor ? { type: 'minor' } : undefined);
}

function checkMemoryPressure(): void {
  // The baselines move only when we collect: tensors disposed inside a step (tidy) bring the
  // live bytes below them without a collection being due, and lowering the baseline there
  // would make the next step's live activations (not garbage) trigger a futile collection.
  const grown = stats[1] - bytesAfterCollect;
  if (grown < stepBytes && stats[0] - countAfterCollect < YOUNG_TENSOR_LIMIT) return;
  collectGarbage(true);
  // Garbage that outlived a young collection is in the old generation: collect everything.
  if (grown >= stepBytes && stats[1] - bytesAfterCollect > grown / 2) collectGarbage(false);
  bytesAfterCollect = stats[1];
  countAfterCollect = stats[0];
  stepBytes = Math.max(MIN_STEP_BYTES, bytesAfterCollect / 2);
}

// The Tensor class registers itself (lib/tensor.ts imports this module, not the reverse).
let TensorClass: Function = class {};
/** @internal */
export function registerTrackedClass(cls: Function): void {
  TensorClass = cls;
}

/** Finds the tensors in tidy's result; other objects are never read (their getters could throw). */
function collectKept(value: unknown, kept: Set<unknown>, depth = 0): void {
  if (value === null || typeof value !== 'object' || depth > 8) return;
  if (value instanceof TensorClass) {
    kept.add(value);
    return;
  }
  if (Array.isArray(value)) {
    for (const v of value) collectKept(v, kept, depth + 1);
  } else if (value instanceof Map) {
    for (const v of value.values()) collectKept(v, kept, depth + 1);
  } else if (Object.getPrototypeOf(value) === Object.prototype) {
    for (const v of Object.values(value)) collectKept(v, kept, depth + 1);
  }
}

/**
 * Runs `fn` and disposes every tensor created while it runs, except the tensors in its
 * result (found in arrays, Maps and plain objects), which move to the enclosing scope.
 * `fn` must be synchronous: tensors created after an `await` could not be attributed
 * to this scope, so a returned Promise is an error.
 *
 * Example: `const loss = torch.tidy(() => model.forward(x).sub(y).pow(2).mean());`
 */
export function tidy<T>(fn: () => T): T {
  if (typeof fn !== 'function') throw new TypeError(`tidy: expected a function but received ${typeof fn}`);
  const scope: Disposable[] = [];
  scopes.push(scope);
  let result: T;
  let ok = false;
  try {
    result = fn();
    ok = true;
  } finally {
    scopes.pop();
    const kept = new Set<unknown>();
    if (ok) collectKept(result!, kept);
    const parent = scopes[scopes.length - 1];
    for (const t of scope) {
      if (kept.has(t)) parent?.push(t);
      else t.dispose();
    }
  }
  if (result! instanceof Promise) {
    throw new TypeError('tidy(fn) is synchronous, but fn returned a Promise: tensors made after an await would escape it. Use dispose()/`using` in async code.');
  }
  return result!;
}

/** Keeps a tensor created inside tidy() alive after the scope ends. */
export function keep<T extends Disposable>(t: T): T {
  for (const scope of scopes) {
    const i = scope.indexOf(t);
    if (i >= 0) scope.splice(i, 1);
  }
  return t;
}

/** Number of native tensors alive (not yet disposed or collected): for tests and leak hunting. */
export function liveTensorCount(): number {
  return stats[0];
}

/** Bytes of native memory that live tensors have reported to V8's garbage collector. */
export function liveTensorBytes(): number {
  return stats[1];
}

/**
 * The cache that holds the data of small CPU tensors (up to 1 KiB; native/cpu_allocator.cpp):
 * `allocated`, the bytes of its blocks now in use; `reserved`, the bytes it has taken from the OS,
 * which it keeps for later tensors. Null when it is off (`TORCH_NODE_SMALL_BLOCK_CACHE=0`).
 */
export function smallBlockStats(): SmallBlockStats | null {
  return native.smallBlockStats();
}

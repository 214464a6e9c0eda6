// torch.no_grad / enable_grad / set_grad_enabled: as a callback scope, or as a guard
// for `using _ = torch.no_grad();` that restores the previous mode when disposed.
import { native } from '../_C.js';

export interface GradModeGuard {
  [Symbol.dispose](): void;
}

function withGradMode<T>(enabled: boolean, fn?: () => T): T | GradModeGuard {
  const previous = native.isGradEnabled();
  native.setGradEnabled(enabled);
  if (fn === undefined) {
    return { [Symbol.dispose]: () => native.setGradEnabled(previous) };
  }
  try {
    const result = fn();
    if (result instanceof Promise) {
      return result.finally(() => native.setGradEnabled(previous)) as T;
    }
    native.setGradEnabled(previous);
    return result;
  } catch (e) {
    native.setGradEnabled(previous);
    throw e;
  }
}

/** Runs fn with gradient tracking off (Python: `with torch.no_grad():`). Without fn, returns a guard for `using`. */
export function no_grad<T>(fn: () => T): T;
export function no_grad(): GradModeGuard;
export function no_grad<T>(fn?: () => T): T | GradModeGuard {
  return withGradMode(false, fn);
}

/** Runs fn with gradient tracking on. Without fn, returns a guard for `using`. */
export function enable_grad<T>(fn: () => T): T;
export function enable_grad(): GradModeGuard;
export function enable_grad<T>(fn?: () => T): T | GradModeGuard {
  return withGradMode(true, fn);
}

/** Sets gradient tracking on or off; with fn, only while fn runs. */
export function set_grad_enabled<T>(mode: boolean, fn: () => T): T;
export function set_grad_enabled(mode: boolean): GradModeGuard;
export function set_grad_enabled<T>(mode: boolean, fn?: () => T): T | GradModeGuard {
  if (typeof mode !== 'boolean') throw new TypeError(`set_grad_enabled: expected a boolean for 'mode' but received ${typeof mode}`);
  return withGradMode(mode, fn);
}

export function is_grad_enabled(): boolean {
  return native.isGradEnabled();
}

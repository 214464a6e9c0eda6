// Python's `warnings.warn` as torch-node modules use it: a process warning, shown once per
// distinct message (Python's default filter shows a warning once per place it comes from).

const shown = new Set<string>();

/** Emits `message` as a process warning of type `category` ('UserWarning' unless told), once per distinct message. */
export function warn(message: string, category = 'UserWarning'): void {
  const key = `${category}\u0000${message}`;
  if (shown.has(key)) return;
  shown.add(key);
  process.emitWarning(message, { type: category });
}

/** Forgets which warnings were shown, so that each shows again (for tests). */
export function clearWarningRegistry(): void {
  shown.clear();
}

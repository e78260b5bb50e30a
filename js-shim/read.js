/** Reads `target[key]` without ever throwing (a throwing getter, a non-object): `undefined` then. */
export function read(target, key) {
  try {
    return target !== null && (typeof target === "object" || typeof target === "function") ? target[key] : undefined;
  } catch {
    return undefined;
  }
}

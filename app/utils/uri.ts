/** decodeURIComponent for input from outside: a malformed escape (`%E0`) is undefined, never an exception. */
export function tryDecodeURIComponent(value: string) {
  try {
    return decodeURIComponent(value)
  } catch {
    return undefined
  }
}

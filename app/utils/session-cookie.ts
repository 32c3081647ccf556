/** Name of the organiser session cookie. The server bypasses the page cache when it is present. */
export const SESSION_COOKIE = 'vigil_session'

/** How long an organiser's session lasts (ADR 019 keeps it at a week). */
export const SESSION_TTL_MS = 7 * 24 * 60 * 60 * 1000

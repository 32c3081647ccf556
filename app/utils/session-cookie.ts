/** Name of the organiser session cookie. The server bypasses the page cache when it is present. */
export const SESSION_COOKIE = 'vigil_session'

/**
 * LOG_FORMAT=json: one JSON object per line, for log collectors that parse (Loki, CloudWatch,
 * journald with a JSON pipeline). Request lines carry their own fields (server/app.ts); every
 * other message of the process (console.log/info/warn/error, whichever module printed it) is
 * wrapped as `{ time, level, msg }`, its text the same as in the text format: what is masked
 * there (paths, never emails, addresses or tokens) is masked here, and a stack trace stays on
 * its one line. Text remains the default.
 */
import { format } from 'node:util'

export type LogLevel = 'info' | 'warn' | 'error'

/** Writes one JSON object as a line: to stderr for errors and warnings, as console.error would. */
export function writeJsonLine(level: LogLevel, fields: Record<string, unknown>) {
  const line = `${JSON.stringify({ time: new Date().toISOString(), level, ...fields })}\n`
  if (level === 'info') process.stdout.write(line)
  else process.stderr.write(line)
}

let installed = false

/** Routes the console through writeJsonLine for the rest of the process. */
export function logConsoleAsJson() {
  if (installed) return
  installed = true
  const as = (level: LogLevel) => (...args: unknown[]) => writeJsonLine(level, { msg: format(...args) })
  console.log = as('info')
  console.info = as('info')
  console.warn = as('warn')
  console.error = as('error')
}

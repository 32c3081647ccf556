/**
 * LOG_FORMAT=json: one JSON object per line, for log collectors that parse (Loki, CloudWatch,
 * journald with a JSON pipeline). Request lines carry their own fields (server/app.ts); every
 * other message of the process (console.log/info/warn/error, whichever module printed it) is
 * wrapped as `{ time, level, msg }`, its text the same as in the text format: what is masked
 * there (paths, never emails, addresses or tokens) is masked here, and a stack trace stays on
 * its one line. Text remains the default.
 */
import { format } from 'node:util'
import { readVariable } from '../app/utils/config.server.ts'

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

/**
 * Why the process will not start (a ConfigError), as the one line it prints before exiting: JSON
 * when LOG_FORMAT=json, read on its own since the rest of the configuration was refused; text
 * when LOG_FORMAT is unset, `text`, or itself the refused value.
 */
export function reportConfigError(name: string, error: Error) {
  const msg = `${name}: configuration error: ${error.message}`
  let json = false
  try {
    json = readVariable('LOG_FORMAT') === 'json'
  } catch {
    // LOG_FORMAT is what was refused: text.
  }
  if (json) writeJsonLine('error', { msg })
  else console.error(msg)
}

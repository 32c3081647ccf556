import { countJobRun } from './metrics.server.ts'

/**
 * A job's clock: a first run shortly after start (not at once: the first requests after a
 * start should not wait behind it), then one every `intervalMs` after the last ended. Each run
 * returns lines to log (counts and ids only, nothing about any person); an error is logged by
 * its message and the next run comes as planned. Runs are counted for /metrics. `stop()`
 * resolves once a run in progress has ended (it sees `shouldStop` and stops early).
 */
export function startPeriodic({
  name,
  intervalMs,
  firstRunMs,
  run,
  log = (line: string) => console.log(`vigil: ${name}: ${line}`),
}: {
  name: string
  intervalMs: number
  firstRunMs: number
  run: (shouldStop: () => boolean) => Promise<string[]>
  log?: (line: string) => void
}) {
  let stopped = false
  let timer: NodeJS.Timeout | undefined
  let running: Promise<void> | undefined
  const tick = async () => {
    if (stopped) return
    try {
      for (const line of await run(() => stopped)) log(line)
      countJobRun(name, 'ok')
    } catch (error) {
      countJobRun(name, 'error')
      console.error(`vigil: ${name} error`, error instanceof Error ? error.message : error)
    }
    if (!stopped) timer = setTimeout(() => void (running = tick().finally(() => (running = undefined))), intervalMs)
  }
  timer = setTimeout(() => void (running = tick().finally(() => (running = undefined))), firstRunMs)
  return {
    async stop() {
      stopped = true
      if (timer) clearTimeout(timer)
      await running
    },
  }
}

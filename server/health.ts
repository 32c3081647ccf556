/**
 * GET /healthz for load balancers and orchestrators: the database must answer `select 1`
 * within HEALTH_TIMEOUT_MS, on either engine; otherwise a 503 with a short plain message
 * (never the database's URL or the driver's words). A healthy answer is the Remix page
 * `app/routes/healthz.tsx` ("ok"), which bench:pages also uses as the framework's floor.
 *
 * Checks share one query while it runs and a success serves for HEALTHY_FOR_MS, so a load
 * balancer polling hard (or a benchmark) costs about one query a second, not one per request.
 * While the server shuts down it answers 503 at once, so balancers stop sending it traffic.
 */
import type http from 'node:http'
import type { DB } from '../db/client.server.ts'
import { pingDatabase, type DatabaseHealth } from '../db/health.server.ts'

const HEALTH_TIMEOUT_MS = 2000
const HEALTHY_FOR_MS = 1000

export function createHealthCheck({ db, baseHeaders }: { db: DB; baseHeaders: string[] }) {
  let checking: Promise<DatabaseHealth> | null = null
  let healthyAt = -Infinity
  let down = false

  async function check(): Promise<DatabaseHealth> {
    if (performance.now() - healthyAt < HEALTHY_FOR_MS) return { ok: true }
    checking ??= pingDatabase(db, { timeoutMs: HEALTH_TIMEOUT_MS }).finally(() => (checking = null))
    const health = await checking
    if (health.ok) healthyAt = performance.now()
    // One line when the state changes, not one per poll.
    if (health.ok === down) {
      down = !health.ok
      if (health.ok) console.log('vigil: health: the database answers again')
      else console.error(`vigil: health: the database does not answer (${health.reason})`)
    }
    return health
  }

  function unhealthy(req: http.IncomingMessage, res: http.ServerResponse, message: string) {
    const body = `${message}\n`
    res.writeHead(503, [
      ...baseHeaders,
      'Content-Type',
      'text/plain; charset=utf-8',
      'Content-Length',
      String(Buffer.byteLength(body)),
      'Cache-Control',
      'no-store',
      'Retry-After',
      '5',
    ])
    res.end(req.method === 'HEAD' ? undefined : body)
  }

  return {
    /** Answers 503 and returns true when this server should get no traffic; false: serve the page. */
    async refuse(req: http.IncomingMessage, res: http.ServerResponse, { draining }: { draining: boolean }) {
      if (draining) {
        unhealthy(req, res, 'shutting down')
        return true
      }
      const health = await check()
      if (health.ok) return false
      unhealthy(req, res, 'database unreachable')
      return true
    },
  }
}

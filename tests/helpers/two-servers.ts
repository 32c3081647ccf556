import fs from 'node:fs'
import type { ResendStandIn } from '../../stand-ins/resend/index.ts'
import type { StripeStandIn } from '../../stand-ins/stripe/index.ts'
import { startServer, type RunningServer } from './server.ts'

/**
 * Two app servers (production build) on one Postgres database that the test owns, in live mode
 * against the Resend and Stripe stand-ins, as two instances behind a load balancer would run:
 * the same secrets, each its own port and process, each its own mail sender. Each tells the
 * provider who it is (RESEND_USER_AGENT, read by the Resend SDK), so a test can see which one sent.
 */
export type Instance = {
  name: string
  url: string
  userAgent: string
  output: () => string
  /** SIGKILL: no shutdown, claims left as they were. */
  kill: () => void
  /** A new process on the same database (a new port). */
  restart: () => Promise<Instance>
  stop: () => Promise<void>
}

export async function startPair({ databaseUrl, resend, stripe }: { databaseUrl: string; resend: ResendStandIn; stripe: StripeStandIn }): Promise<Instance[]> {
  const shared: Record<string, string> = {
    DATABASE_URL: databaseUrl,
    // One public address, the load balancer's: links in emails are the same whichever server
    // renders them, so a batch another server sends again after a crash is the same request.
    PUBLIC_URL: 'http://vigil.test',
    // Both must agree on sessions (the cookie is signed with it) and on the webhooks' secrets.
    SESSION_SECRET: 'two-servers-share-this-session-secret-0123456789',
    STRIPE_SECRET_KEY: stripe.secretKey,
    STRIPE_API_BASE: stripe.url,
    STRIPE_WEBHOOK_SECRET: stripe.webhookSecret,
    RESEND_API_KEY: resend.apiKey,
    RESEND_BASE_URL: resend.url,
    RESEND_WEBHOOK_SECRET: 'whsec_dHdvLXNlcnZlcnMtdGVzdC1zZWNyZXQhIQ==',
    MAIL_FROM: 'Vigil <team@example.org>',
    RESEND_REQUESTS_PER_SECOND: '0',
    // Two requests out per server: a kill then always finds one in flight, and the send lasts a few seconds.
    VIGIL_SENDER_CONCURRENCY: '2',
    // A dead server's batches go to the other one soon (the default is two minutes), but not
    // sooner than a live sender records its answer on a loaded machine: at 1.5 s a busy CI took a
    // live claim back and asked again, which the test rightly counts as a second claim.
    VIGIL_BATCH_CLAIM_TIMEOUT_MS: '5000',
    // Live mode on the demo campaign, on purpose.
    VIGIL_ALLOW_DEMO_DATA: '1',
    // Every signer from an address of its own (X-Forwarded-For).
    TRUST_PROXY: '1',
    PAGE_CACHE_TTL_MS: '1000',
    VIGIL_QUIET_LOG: '1',
  }
  const start = async (name: string): Promise<Instance> => {
    const userAgent = `vigil-${name}`
    const server: RunningServer = await startServer({ seed: false, env: { ...shared, RESEND_USER_AGENT: userAgent } })
    let killed = false
    return {
      name,
      url: server.url,
      userAgent,
      output: server.output,
      kill() {
        killed = true
        process.kill(server.pid, 'SIGKILL')
      },
      async restart() {
        await waitUntilGone(server)
        fs.rmSync(server.dir, { recursive: true, force: true })
        return start(`${name}-again`)
      },
      async stop() {
        // RunningServer.stop() waits for an exit that a killed process has already made.
        if (killed) {
          await waitUntilGone(server)
          fs.rmSync(server.dir, { recursive: true, force: true })
        } else await server.stop()
      },
    }
  }
  return Promise.all([start('server-1'), start('server-2')])
}

async function waitUntilGone(server: RunningServer) {
  for (let i = 0; i < 100 && server.running(); i++) await new Promise((resolve) => setTimeout(resolve, 20))
}

import { runScript, type RunningServer } from './server.ts'

/**
 * A second organiser, made as an operator would: `npm run organizer:create` prints a one-time
 * link, and the password is set through it. Returns the set-password answer (a 302 when it took).
 */
export async function createOrganiser(server: RunningServer, { email, name, password, role = 'editor' }: { email: string; name: string; password: string; role?: 'editor' | 'owner' }) {
  const created = await runScript('scripts/organizer-create.ts', ['--email', email, '--name', name, '--role', role], {
    DATABASE_PATH: server.databasePath,
    PUBLIC_URL: server.url,
  })
  const link = /https?:\/\/\S+\/admin\/set-password\/\S+/.exec(created.stdout)?.[0]
  if (!link) throw new Error(`organizer:create printed no link: ${created.stdout}${created.stderr}`)
  return fetch(link, { method: 'POST', redirect: 'manual', headers: { Origin: server.url }, body: new URLSearchParams({ password, confirm: password }) })
}

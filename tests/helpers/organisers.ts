import { databaseEnv, runScript, type RunningServer } from './server.ts'
import type { DB } from '#db/client.server.ts'
import { openServerSql, sqlOn } from './sql.ts'

export type CampaignRole = 'viewer' | 'editor' | 'manager'
export type SecondFactorPolicy = 'none' | 'owners' | 'owners_managers' | 'everyone'

/**
 * Sets who must have a second factor (instance_settings.second_factor_policy, ADR 019) straight
 * in the database; it counts from the next sign-in (sessions already open keep their level).
 */
export async function setSecondFactorPolicy(target: Pick<RunningServer, 'databasePath' | 'databaseUrl'> | DB, policy: SecondFactorPolicy) {
  // A server's database, or a handle the test holds already (the test file's own database).
  const db = 'databasePath' in target ? openServerSql(target) : { ...sqlOn(target), close: async () => {} }
  try {
    await db.run(
      `insert into instance_settings (id, second_factor_policy) values (1, ?)
       on conflict (id) do update set second_factor_policy = excluded.second_factor_policy`,
      policy,
    )
  } finally {
    await db.close()
  }
}

/**
 * A second organiser, made as an operator would: `npm run organizer:create` prints a one-time
 * link, and the password is set through it. Returns the set-password answer (a 302 when it took).
 * `campaignRoles` gives them roles on campaigns by slug (ADR 011), as an owner would on the
 * Organisers page; without any, a new organiser who is not an owner reaches no campaign.
 * `secondFactorPolicy` is set for the whole instance before anyone signs in: suites about roles
 * run without a second factor ('none', the default here); issue 18's suites pass their own, or
 * null to leave the policy as it is.
 */
export async function createOrganiser(
  server: RunningServer,
  { email, name, password, role = 'editor', campaignRoles = [], secondFactorPolicy = 'none' }: {
    email: string
    name: string
    password: string
    role?: 'editor' | 'owner'
    campaignRoles?: { slug: string; role: CampaignRole }[]
    secondFactorPolicy?: SecondFactorPolicy | null
  },
) {
  if (secondFactorPolicy) await setSecondFactorPolicy(server, secondFactorPolicy)
  const created = await runScript('scripts/organizer-create.ts', ['--email', email, '--name', name, '--role', role], {
    ...databaseEnv(server),
    PUBLIC_URL: server.url,
  })
  const link = /https?:\/\/\S+\/admin\/set-password\/\S+/.exec(created.stdout)?.[0]
  if (!link) throw new Error(`organizer:create printed no link: ${created.stdout}${created.stderr}`)
  const response = await fetch(link, { method: 'POST', redirect: 'manual', headers: { Origin: server.url }, body: new URLSearchParams({ password, confirm: password }) })
  for (const { slug, role: campaignRole } of campaignRoles) await grantCampaignRole(server, { email, slug, role: campaignRole })
  return response
}

/** Give an existing organiser a role on a campaign, straight in the database (the migration's way for existing organisers). */
export async function grantCampaignRole(server: RunningServer, { email, slug, role }: { email: string; slug: string; role: CampaignRole }) {
  const db = openServerSql(server)
  try {
    const granted = await db.run(
      `insert into campaign_memberships (organizer_id, campaign_id, role)
       select organizers.id, campaigns.id, ? from organizers, campaigns where organizers.email = ? and campaigns.slug = ?
       on conflict (organizer_id, campaign_id) do update set role = excluded.role`,
      role,
      email.toLowerCase(),
      slug,
    )
    if (granted.changes !== 1) throw new Error(`no organiser ${email} or no campaign ${slug}`)
  } finally {
    await db.close()
  }
}

/** The `vigil_session=…` pair an answer sets (to send back as a Cookie header); throws when it sets none. */
export function sessionPair(response: Response) {
  const match = /(?:^|,\s*)(vigil_session=[^;]+)/.exec(response.headers.get('set-cookie') ?? '')
  if (!match?.[1]) throw new Error(`no session cookie in the ${response.status} answer`)
  return match[1]
}

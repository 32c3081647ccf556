import { describe, expect, it } from 'vitest'
import { getDb } from '#db/client.server.ts'
import de from '~/locales/de/emails.json'
import en from '~/locales/en/emails.json'
import es from '~/locales/es/emails.json'
import { getEnv } from '~/utils/config.server.ts'
import { formatNumber } from '~/utils/i18n.ts'
import { campaignFromPacketToken } from '~/utils/tokens.server.ts'
import { renderEmail } from '~/workflows/email-templates.server.tsx'

type Lang = 'en' | 'de' | 'es'
const catalogs = { en, de, es }
const LANGS: Lang[] = ['en', 'de', 'es']

const targetProps = (overrides: Record<string, unknown> = {}) => ({
  targetName: 'Secretary <Mayorkas> & staff',
  campaignTitle: 'Justice for Andry',
  organizationName: 'Demo Reporting Collective',
  count: 12_345,
  threshold: 10_000,
  campaignId: 7,
  campaignSlug: 'free-andry',
  petitionText: 'We ask you to release Andry Rakoto.',
  ...overrides,
})

const teamProps = (overrides: Record<string, unknown> = {}) => ({
  campaignTitle: 'Justice for Andry',
  organizationName: 'Demo Reporting Collective',
  threshold: 10_000,
  count: 10_002,
  happens: 'we deliver the petition to the Department of Homeland Security',
  draftUpdateId: 31,
  campaignId: 7,
  ...overrides,
})

const render = (template: string, locale: Lang, props: Record<string, unknown>) => renderEmail(getDb(), { template, locale, props })
const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

describe('the milestone email to a target', () => {
  for (const lang of LANGS) {
    it(`renders the target email with the count and the packet link in the target's language (${lang})`, async () => {
      const email = await render('milestone-target', lang, targetProps())
      const base = getEnv().publicUrl
      const count = formatNumber(12_345, lang)
      // The subject in the target's language, with the count formatted for it (12,345 / 12.345).
      expect(email.subject).toBe(catalogs[lang].milestoneTarget.subject.replace('{{count}}', count).replace('{{campaignTitle}}', 'Justice for Andry'))
      expect(email.html).toMatch(new RegExp(`<html[^>]*lang="${lang}"`))
      expect(email.text).toContain(count)
      expect(email.text).toContain('We ask you to release Andry Rakoto.')
      expect(email.text).toContain(catalogs[lang].milestoneTarget.button)
      // The packet link: this campaign's token, in the target's language; it opens campaign 7 and nothing else.
      const packetUrl = email.links[0]!
      const match = new RegExp(`^${base}/c/free-andry/packet/([^?]+)\\?lng=${lang}$`).exec(packetUrl)
      expect(match, packetUrl).not.toBeNull()
      expect(campaignFromPacketToken(match![1]!)).toBe(7)
      expect(email.html).toContain(`href="${packetUrl}"`)
      expect(email.text).toContain(packetUrl)
      expect(email.links[1]).toBe(`${base}/c/free-andry?lng=${lang}`)
      // The name is the target's own, escaped as text.
      expect(email.html).toContain(escapeHtml('Secretary <Mayorkas> & staff'))
      expect(email.html).not.toContain('<Mayorkas>')
    })
  }

  it('greets without a name when the target has none in any language', async () => {
    const email = await render('milestone-target', 'de', targetProps({ targetName: '' }))
    expect(email.text).toContain(de.milestoneTarget.greetingNoName)
  })

  it('refuses a row without the campaign it belongs to rather than send a broken link', async () => {
    await expect(render('milestone-target', 'en', targetProps({ campaignSlug: '' }))).rejects.toThrow()
    await expect(render('milestone-target', 'en', targetProps({ campaignId: undefined }))).rejects.toThrow()
  })
})

describe('the milestone email to the team', () => {
  for (const lang of LANGS) {
    it(`says what was reached, what the team planned, and links to the draft (${lang})`, async () => {
      const email = await render('milestone-team', lang, teamProps())
      const base = getEnv().publicUrl
      expect(email.subject).toBe(catalogs[lang].milestoneTeam.subject.replace('{{threshold}}', formatNumber(10_000, lang)).replace('{{campaignTitle}}', 'Justice for Andry'))
      expect(email.text).toContain(formatNumber(10_002, lang))
      expect(email.text).toContain('we deliver the petition to the Department of Homeland Security')
      expect(email.links).toEqual([`${base}/admin/campaigns/7/timeline/31`])
      expect(email.html).toContain(`href="${base}/admin/campaigns/7/timeline/31"`)
    })
  }

  it('leaves out the plan when the team wrote none', async () => {
    const email = await render('milestone-team', 'en', teamProps({ happens: '' }))
    expect(email.text).not.toContain(en.milestoneTeam.happens)
  })
})

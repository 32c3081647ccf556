import { render } from '@react-email/render'
import i18next, { type i18n } from 'i18next'
import { createElement, type ReactElement } from 'react'
import { beforeAll, describe, expect, it } from 'vitest'
import AlreadySignedEmail, { subject as alreadySignedSubject } from '#emails/already-signed.tsx'
import ConfirmSignatureEmail, { subject as confirmSignatureSubject } from '#emails/confirm-signature.tsx'
import type { EmailT } from '#emails/layout.tsx'
import de from '~/locales/de/emails.json'
import en from '~/locales/en/emails.json'
import es from '~/locales/es/emails.json'

const catalogs = { en, de, es }
type Lang = keyof typeof catalogs
const LANGS = Object.keys(catalogs) as Lang[]

const instances = new Map<Lang, i18n>()
beforeAll(async () => {
  for (const lng of LANGS) {
    const instance = i18next.createInstance()
    // Deliberately the i18next defaults (escapeValue on): the templates must not depend on the caller's setting.
    await instance.init({ lng, resources: { [lng]: { emails: catalogs[lng] } }, defaultNS: 'emails', initImmediate: false })
    instances.set(lng, instance)
  }
})

/** The instance's t, failing the test on any key the catalog of that language lacks. */
function tFor(lng: Lang): EmailT {
  const instance = instances.get(lng)!
  return (key, options) => {
    expect(instance.exists(key, options), `missing ${lng} key ${key}`).toBe(true)
    return instance.t(key, options)
  }
}

function flatKeys(value: unknown, prefix = ''): string[] {
  if (typeof value !== 'object' || value === null) return [prefix]
  return Object.entries(value).flatMap(([k, v]) => flatKeys(v, prefix ? `${prefix}.${k}` : k))
}

const count = (haystack: string, needle: string) => haystack.split(needle).length - 1
// How React writes a string into an attribute value.
const attr = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
// The XHTML doctype names the W3C DTD by URL; it is an identifier, never fetched.
const withoutDoctype = (html: string) => html.replace(/^<!DOCTYPE[^>]*>/i, '')
const urlsIn = (s: string) => s.match(/https?:\/\/[^\s"'<>]+/gi) ?? []

const evil = '<script>alert(1)</script>'
const urls = {
  confirm: 'https://campaigns.example.org/s/confirm?token=Zm9vYmFy-123_abc&lng=de',
  discard: 'https://campaigns.example.org/s/discard?token=Zm9vYmFy-123_abc&lng=de',
  campaign: 'https://campaigns.example.org/c/free-andry?lng=es',
}
const petitionText = 'To the Minister of Justice:\n\nRelease Andry Rakoto now.\nDrop all charges against him.'

async function renderBoth(element: ReactElement) {
  const html = await render(element)
  const text = await render(element, { plainText: true })
  return { html, text }
}

function confirmProps(lng: Lang, overrides: Partial<Parameters<typeof ConfirmSignatureEmail>[0]> = {}) {
  return {
    t: tFor(lng),
    lang: lng,
    firstName: 'Ana',
    campaignTitle: 'Free Andry',
    organizationName: 'Friends & Allies',
    confirmUrl: urls.confirm,
    discardUrl: urls.discard,
    petitionText,
    ...overrides,
  }
}

function alreadyProps(lng: Lang, overrides: Partial<Parameters<typeof AlreadySignedEmail>[0]> = {}) {
  return {
    t: tFor(lng),
    lang: lng,
    firstName: 'Ana',
    campaignTitle: 'Free Andry',
    organizationName: 'Friends & Allies',
    campaignUrl: urls.campaign,
    ...overrides,
  }
}

const allKeys = [...new Set(flatKeys(en).map((k) => k.replace(/_(zero|one|two|few|many|other)$/, '')))]

/** Checks every rendered email shares: language, no third-party URLs or images, no leftover keys. */
function expectCleanEmail(lng: Lang, html: string, text: string, allowed: string[]) {
  expect(html).toMatch(new RegExp(`<html[^>]*\\slang="${lng}"`))
  expect(html).not.toMatch(/<img|<link|<script|\ssrc=|url\(|@import|@font-face/i)
  const allowedHtml = new Set(allowed.map(attr))
  for (const url of urlsIn(withoutDoctype(html))) expect(allowedHtml, `unexpected URL in HTML: ${url}`).toContain(url)
  for (const url of urlsIn(text)) expect(allowed, `unexpected URL in text: ${url}`).toContain(url)
  for (const output of [html, text]) {
    expect(output).not.toMatch(/emails[.:]/)
    expect(output).not.toContain('{{')
    for (const key of allKeys) expect(output).not.toContain(key)
  }
}

describe('email catalogs', () => {
  it('have the same keys and placeholders in every language', () => {
    const placeholders = (catalog: unknown) =>
      flatKeys(catalog).map((key) => {
        const value = key.split('.').reduce<unknown>((node, part) => (node as Record<string, unknown>)[part], catalog)
        return `${key}: ${[...String(value).matchAll(/\{\{(\w+)\}\}/g)].map((m) => m[1]).sort().join(',')}`
      })
    expect(placeholders(de).sort()).toEqual(placeholders(en).sort())
    expect(placeholders(es).sort()).toEqual(placeholders(en).sort())
  })
})

describe.each(LANGS)('confirm-signature email (%s)', (lng) => {
  it('renders the confirm and discard links once each, in HTML and plain text', async () => {
    const { html, text } = await renderBoth(createElement(ConfirmSignatureEmail, confirmProps(lng)))
    expect(count(html, `href="${attr(urls.confirm)}"`)).toBe(1)
    expect(count(html, `href="${attr(urls.discard)}"`)).toBe(1)
    expect(count(html, 'href=')).toBe(2)
    expect(text).toContain(urls.confirm)
    expect(text).toContain(urls.discard)
    expectCleanEmail(lng, html, text, [urls.confirm, urls.discard])
  })

  it('is written in the recipient’s language and quotes the petition', async () => {
    const { html, text } = await renderBoth(createElement(ConfirmSignatureEmail, confirmProps(lng)))
    const t = instances.get(lng)!.t
    expect(text).toContain(t('confirmSignature.button'))
    expect(text).toContain(t('confirmSignature.expiry', { count: 7 }))
    expect(text).toMatch(/\b7\b/)
    expect(text).toContain('Release Andry Rakoto now.')
    expect(html).toContain('Release Andry Rakoto now.<br/>Drop all charges against him.')
    expect(text).toContain('Friends & Allies')
    expect(text).toContain('Ana')
  })

  it('has a translated subject line', () => {
    const line = confirmSignatureSubject(confirmProps(lng))
    expect(line).toContain('Free Andry')
    expect(line).not.toContain('confirmSignature')
    expect(line).toBe(instances.get(lng)!.t('confirmSignature.subject', { campaign: 'Free Andry' }))
  })

  it('escapes what supporters and organisers typed, exactly once', async () => {
    const props = confirmProps(lng, { firstName: evil, campaignTitle: `"Free" <b>Andry</b> & co`, petitionText: `${evil}\n\nO'Brien` })
    const { html, text } = await renderBoth(createElement(ConfirmSignatureEmail, props))
    expect(html).not.toContain(evil)
    expect(html).not.toContain('<b>Andry')
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;')
    expect(html).not.toMatch(/&amp;(lt|gt|amp|quot|#)/)
    expect(text).toContain(evil)
    expect(text).toContain("O'Brien")
    expect(confirmSignatureSubject(props)).toContain(`"Free" <b>Andry</b> & co`)
  })
})

describe.each(LANGS)('already-signed email (%s)', (lng) => {
  it('links the campaign once and says nothing else is needed', async () => {
    const { html, text } = await renderBoth(createElement(AlreadySignedEmail, alreadyProps(lng)))
    expect(count(html, `href="${attr(urls.campaign)}"`)).toBe(1)
    expect(count(html, 'href=')).toBe(1)
    expect(text).toContain(urls.campaign)
    const t = instances.get(lng)!.t
    expect(text).toContain(t('alreadySigned.notYou'))
    expectCleanEmail(lng, html, text, [urls.campaign])
  })

  it('has a translated subject line', () => {
    const line = alreadySignedSubject(alreadyProps(lng))
    expect(line).toContain('Free Andry')
    expect(line).not.toContain('alreadySigned')
    expect(line).toBe(instances.get(lng)!.t('alreadySigned.subject', { campaign: 'Free Andry' }))
  })

  it('escapes what supporters and organisers typed, exactly once', async () => {
    const props = alreadyProps(lng, { firstName: evil, organizationName: `<i>Org</i> & "Friends"` })
    const { html } = await renderBoth(createElement(AlreadySignedEmail, props))
    expect(html).not.toContain(evil)
    expect(html).not.toContain('<i>Org')
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;')
    expect(html).not.toMatch(/&amp;(lt|gt|amp|quot|#)/)
  })
})

describe('shared behaviour', () => {
  it('subjects are different per language', () => {
    const subjects = LANGS.map((lng) => confirmSignatureSubject(confirmProps(lng)))
    expect(new Set(subjects).size).toBe(LANGS.length)
  })

  it('keeps subjects on one line whatever the campaign title holds', () => {
    const line = confirmSignatureSubject(confirmProps('en', { campaignTitle: 'Free\r\nAndry\nBcc: x@example.org' }))
    expect(line).not.toMatch(/[\r\n]/)
    expect(line).toContain('Free Andry Bcc: x@example.org')
  })

  it('greets without a name when none was given', async () => {
    const { text } = await renderBoth(createElement(AlreadySignedEmail, alreadyProps('de', { firstName: '  ' })))
    expect(text).toContain(de.common.greetingNoName)
  })

  it('stays within 600px', async () => {
    const { html } = await renderBoth(createElement(ConfirmSignatureEmail, confirmProps('en')))
    expect(html).toContain('max-width:600px')
    for (const [, width] of html.matchAll(/width:(\d+)px/g)) expect(Number(width)).toBeLessThanOrEqual(600)
  })
})

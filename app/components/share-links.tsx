import { useEffect, useRef, useState, type FormEvent } from 'react'
import { useHydrated } from '~/utils/use-hydrated.ts'
import { useTranslation } from 'react-i18next'
import { mastodonInstance, mastodonShareHref, shareLinks, shareUrl, type ShareData, type ShareNetwork } from '~/utils/share-links.ts'

// Where the visitor's Mastodon server is remembered: their browser only, never sent to us.
const MASTODON_KEY = 'vigil.mastodon-instance'

const NAMES: Record<Exclude<ShareNetwork, 'mail' | 'masto'>, string> = {
  wa: 'WhatsApp',
  tg: 'Telegram',
  bsky: 'Bluesky',
  x: 'X',
  fb: 'Facebook',
  li: 'LinkedIn',
}

function readInstance() {
  try {
    return localStorage.getItem(MASTODON_KEY) ?? ''
  } catch {
    return ''
  }
}

async function copyText(text: string, fallback: HTMLInputElement | null) {
  try {
    await navigator.clipboard.writeText(text)
  } catch {
    // No clipboard API (an insecure origin, an old browser): select the link for the visitor.
    if (fallback) {
      fallback.value = text
      fallback.select()
    }
  }
}

/**
 * Share links: plain links to each network's own share page (no script or image from them),
 * each carrying its source tag. Without JavaScript: the links, the link to copy by hand and a
 * small form for Mastodon (the server checks the instance and redirects). With it: copy
 * buttons (Signal has no share URL), the browser's own share sheet where there is one, and
 * the Mastodon server remembered in this browser.
 */
export function ShareLinks({ share, headingLevel = 2 }: { share: ShareData; headingLevel?: 2 | 3 }) {
  const { t } = useTranslation()
  // Until the app runs, the buttons that need it are shown (their room kept) but do nothing: disabled.
  const hydrated = useHydrated()
  const [copied, setCopied] = useState<'copy' | 'sig' | null>(null)
  const [instance, setInstance] = useState('')
  const [instanceError, setInstanceError] = useState(false)
  const linkInput = useRef<HTMLInputElement>(null)
  useEffect(() => setInstance(readInstance()), [])
  const links = shareLinks({ url: share.url, title: share.title, text: share.text })
  const href = (network: ShareNetwork) => links.find((l) => l.network === network)?.href ?? ''
  const Heading = `h${headingLevel}` as const
  const copy = async (tag: 'copy' | 'sig') => {
    await copyText(shareUrl(share.url, tag), linkInput.current)
    setCopied(tag)
  }
  const nativeShare = () => navigator.share({ title: share.title, text: share.text, url: shareUrl(share.url, 'share') }).catch(() => undefined)
  const onMastodon = (event: FormEvent<HTMLFormElement>) => {
    const host = mastodonInstance(instance)
    if (!host) {
      event.preventDefault()
      setInstanceError(true)
      return
    }
    setInstanceError(false)
    setInstance(host)
    try {
      localStorage.setItem(MASTODON_KEY, host)
    } catch {
      // Storage refused (private mode): sharing still works, it just will not be remembered.
    }
    // Straight to the server's share page (a link opened from a click, not a form: CSP form-action).
    event.preventDefault()
    window.open(mastodonShareHref({ instance: host, url: share.url, text: share.text }), '_blank', 'noopener,noreferrer')
  }
  const external = { target: '_blank', rel: 'noopener noreferrer' } as const
  const newTab = <span className="visually-hidden"> ({t('share.newTab')})</span>
  return (
    <section className="share" aria-labelledby="share-title" data-testid="share">
      <Heading id="share-title">{t('share.title')}</Heading>
      <p className="muted">{t('share.intro')}</p>
      <ul className="share__links">
        {/* Shown only where the scripts run (and the browser can share): root.tsx sets the classes
            before the first paint, so the list never grows under the reader at hydration. */}
        <li className="share__js share__js--can-share">
          <button type="button" className="share__link share__link--native" onClick={nativeShare} disabled={!hydrated}>
            {t('share.native')}
          </button>
        </li>
        {(['wa', 'tg'] as const).map((network) => (
          <li key={network}>
            <a className={`share__link share__link--${network}`} href={href(network)} {...external}>
              {NAMES[network]}
              {newTab}
            </a>
          </li>
        ))}
        <li className="share__js">
          <button type="button" className="share__link share__link--sig" onClick={() => copy('sig')} disabled={!hydrated}>
            {t('share.signal')}
          </button>
        </li>
        {(['bsky', 'x', 'fb', 'li'] as const).map((network) => (
          <li key={network}>
            <a className={`share__link share__link--${network}`} href={href(network)} {...external}>
              {NAMES[network]}
              {newTab}
            </a>
          </li>
        ))}
        <li>
          {/* A mail client opens; a new tab would be left empty. */}
          <a className="share__link share__link--mail" href={href('mail')}>
            {t('share.email')}
          </a>
        </li>
        <li className="share__js">
          <button type="button" className="share__link share__link--copy" onClick={() => copy('copy')} disabled={!hydrated}>
            {t('share.copy')}
          </button>
        </li>
      </ul>
      <p className="share__status" role="status">
        {copied ? t(copied === 'sig' ? 'share.copiedSignal' : 'share.copied') : null}
      </p>
      <p className="share__copy">
        <label htmlFor="share-link">{t('share.link')}</label>
        <input id="share-link" ref={linkInput} className="share-url" readOnly value={shareUrl(share.url, 'copy')} onFocus={(e) => e.currentTarget.select()} />
      </p>
      <form method="get" action="/share/mastodon" target="_blank" className="share__mastodon" onSubmit={onMastodon} noValidate>
        <input type="hidden" name="c" value={share.slug} />
        <input type="hidden" name="lng" value={share.lang} />
        <label htmlFor="share-mastodon">{t('share.mastodonLabel')}</label>
        <p className="field__hint" id="share-mastodon-hint">
          {t('share.mastodonHint')}
        </p>
        {instanceError ? (
          <p className="field__errors" id="share-mastodon-error">
            {t('share.mastodonInvalid')}
          </p>
        ) : null}
        <div className="share__mastodon-row">
          <input
            id="share-mastodon"
            name="instance"
            type="text"
            inputMode="url"
            autoComplete="off"
            autoCapitalize="none"
            spellCheck={false}
            placeholder="mastodon.social"
            maxLength={300}
            aria-describedby={instanceError ? 'share-mastodon-hint share-mastodon-error' : 'share-mastodon-hint'}
            aria-invalid={instanceError || undefined}
            value={instance}
            onChange={(e) => setInstance(e.currentTarget.value)}
          />
          <button type="submit" className="share__link share__link--masto">
            {t('share.mastodonButton')}
            {newTab}
          </button>
        </div>
      </form>
    </section>
  )
}

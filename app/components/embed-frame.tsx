import { isRouteErrorResponse } from '@remix-run/react'
import { useEffect, useState, type ReactNode } from 'react'
import { useTranslation } from 'react-i18next'
import { EMBED_HEIGHT_MESSAGE } from '~/utils/embed.ts'
import type { Language } from '~/utils/i18n.ts'
import { useNonce } from '~/utils/nonce.tsx'

/**
 * Inside another site's frame, a browser that blocks third-party storage (Chromium with
 * third-party cookies off, Safari, Brave) throws on any use of sessionStorage, and Remix reads
 * it when it looks up routes and restores scroll: a signature posted with JavaScript ended on
 * the error page. Where it throws, the frame gets a storage that lives in memory for the page.
 * It runs before Remix's scripts (which are modules, run after parsing).
 */
const STORAGE_FALLBACK = `(function(){try{window.sessionStorage.getItem('vigil')}catch(e){var m=new Map();var s={getItem:function(k){return m.has(String(k))?m.get(String(k)):null},setItem:function(k,v){m.set(String(k),String(v))},removeItem:function(k){m.delete(String(k))},clear:function(){m.clear()},key:function(i){return Array.from(m.keys())[i]||null}};Object.defineProperty(s,'length',{get:function(){return m.size}});try{Object.defineProperty(window,'sessionStorage',{value:s,configurable:true})}catch(e){}}})()`

function StorageFallback() {
  const nonce = useNonce()
  return <script nonce={nonce} dangerouslySetInnerHTML={{ __html: STORAGE_FALLBACK }} suppressHydrationWarning />
}

/** Tells the page around the frame how tall it is, whenever that changes (the snippet's listener sets the frame's height). */
function useReportHeight() {
  useEffect(() => {
    if (window.parent === window || typeof ResizeObserver === 'undefined') return
    let last = 0
    const report = () => {
      const height = Math.ceil(document.documentElement.getBoundingClientRect().height)
      if (height === last) return
      last = height
      // The height is no secret, and the embedding site's origin is not known here: any parent may read it.
      window.parent.postMessage({ type: EMBED_HEIGHT_MESSAGE, height }, '*')
    }
    const observer = new ResizeObserver(report)
    observer.observe(document.documentElement)
    report()
    return () => observer.disconnect()
  }, [])
}

const REFRESH_MS = 60_000

/**
 * The count as the frame shows it: the page's, then count.json's every minute while the frame
 * is visible (and when it becomes visible again), so an article open for a while keeps up.
 */
export function useLiveCount(slug: string, initial: { confirmed: number; goal: number }) {
  const [count, setCount] = useState(initial)
  useEffect(() => {
    let stopped = false
    const refresh = async () => {
      if (document.visibilityState !== 'visible') return
      try {
        const response = await fetch(`/c/${slug}/count.json`)
        if (!response.ok) return
        const feed = (await response.json()) as { confirmed?: unknown; goal?: unknown }
        if (!stopped && typeof feed.confirmed === 'number' && typeof feed.goal === 'number') setCount({ confirmed: feed.confirmed, goal: feed.goal })
      } catch {
        // Offline for a moment: the count shown stays until the next try.
      }
    }
    const timer = setInterval(refresh, REFRESH_MS)
    document.addEventListener('visibilitychange', refresh)
    return () => {
      stopped = true
      clearInterval(timer)
      document.removeEventListener('visibilitychange', refresh)
    }
  }, [slug])
  return count
}

/** The frame's page: the campaign's title (a link to the full campaign, in a new tab), the panel, and who runs it. */
export function EmbedFrame({
  campaign,
  lang,
  children,
}: {
  campaign: { slug: string; title: { value: string; lang: Language }; organizationName: string }
  lang: Language
  children: ReactNode
}) {
  const { t } = useTranslation()
  useReportHeight()
  const full = `/c/${campaign.slug}?lng=${lang}`
  return (
    <main className="embed">
      <StorageFallback />
      <h1 className="embed__title" lang={campaign.title.lang}>
        <a href={full} target="_blank" rel="noopener">
          {campaign.title.value}
        </a>
      </h1>
      {children}
      <p className="embed__footer muted">
        {t('embed.by', { organization: campaign.organizationName })}{' '}
        <a href={full} target="_blank" rel="noopener">
          {t('embed.fullCampaign')}
        </a>
      </p>
    </main>
  )
}

/** An unknown or closed-to-the-public campaign inside someone's page: a short note, no links out of the frame. */
export function EmbedError({ error }: { error: unknown }) {
  const { t } = useTranslation()
  const status = isRouteErrorResponse(error) ? error.status : 500
  const kind = status === 404 ? 'notFound' : status < 500 ? 'badRequest' : 'crash'
  useReportHeight()
  return (
    <main className="embed">
      <h1 className="embed__title">{t(`errors.${kind}.title`)}</h1>
      <p>{t(`errors.${kind}.body`)}</p>
    </main>
  )
}

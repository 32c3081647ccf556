/**
 * The embeddable panels (/embed/c/:slug and /embed/c/:slug/donate): their URLs, the snippet
 * organisers paste into their own site, and the message the frame sends its parent with its
 * height. Isomorphic: the back office shows the snippet, oEmbed answers with it, the frame posts.
 */
import { isPlainOrigin } from './embed-origins.ts'
import { escapeHtml } from './html.ts'
import { LANGUAGE_PARAM, type Language } from './i18n.ts'

export type EmbedPanel = 'petition' | 'donate'

/** What the frame posts to its parent whenever its height changes. */
export const EMBED_HEIGHT_MESSAGE = 'vigil:embed-height'

/** The source tag a signature made in the frame is recorded with (app/utils/sources.ts lists it). */
export const EMBED_SOURCE = 'embed'

/** Heights the snippet starts with, before the frame reports its own (the form is the tall part). */
export const EMBED_HEIGHTS: Record<EmbedPanel, number> = { petition: 980, donate: 1100 }
export const EMBED_MAX_WIDTH = 720
export const EMBED_MIN_WIDTH = 320

/** Matches the embed pages' paths (as normaliseTarget gives them): the slug and whether it is the donate panel. */
export const EMBED_PATH = /^\/embed\/c\/([a-z0-9-]{1,100})(\/donate)?$/

export function embedPath(slug: string, panel: EmbedPanel) {
  return `/embed/c/${slug}${panel === 'donate' ? '/donate' : ''}`
}

export function embedUrl({ publicUrl, slug, lang, panel }: { publicUrl: string; slug: string; lang: Language; panel: EmbedPanel }) {
  return `${publicUrl}${embedPath(slug, panel)}?${LANGUAGE_PARAM}=${lang}`
}

/** The CSP directive of an embed page: our own origin (the back office's preview) and the listed sites. */
export function frameAncestors(origins: readonly string[]) {
  // Rows saved before the host check (or by hand) must not add directives of their own.
  return `frame-ancestors ${["'self'", ...origins.filter(isPlainOrigin)].join(' ')}`
}

/** The `<iframe>` for a site's page: full column width up to 720 px, a starting height, lazy. */
export function embedSnippet({
  publicUrl,
  slug,
  lang,
  panel,
  title,
  height = EMBED_HEIGHTS[panel],
  maxWidth = EMBED_MAX_WIDTH,
}: {
  publicUrl: string
  slug: string
  lang: Language
  panel: EmbedPanel
  title: string
  height?: number
  maxWidth?: number
}) {
  const src = embedUrl({ publicUrl, slug, lang, panel })
  return `<iframe src="${escapeHtml(src)}" title="${escapeHtml(title)}" loading="lazy" style="display:block;width:100%;max-width:${maxWidth}px;height:${height}px;border:0"></iframe>`
}

/**
 * The few lines a site adds once, beside any number of frames: each frame tells its height
 * and the script sets it, so there is no inner scroll bar. Messages from any other origin, or
 * from a window that is not one of the page's frames, are ignored.
 */
export function resizeListener(publicUrl: string) {
  const origin = new URL(publicUrl).origin
  return `<script>
  // Vigil: let each embedded panel set its own height.
  window.addEventListener('message', function (event) {
    if (event.origin !== ${JSON.stringify(origin)} || !event.data || event.data.type !== ${JSON.stringify(EMBED_HEIGHT_MESSAGE)}) return;
    var frames = document.getElementsByTagName('iframe');
    for (var i = 0; i < frames.length; i++) {
      if (frames[i].contentWindow === event.source) frames[i].style.height = Math.ceil(Number(event.data.height)) + 'px';
    }
  });
</script>`
}

/** The oEmbed discovery `<link>` of a campaign page (a Remix meta descriptor). */
export function oembedDiscovery({ publicUrl, pageUrl, title }: { publicUrl: string; pageUrl: string; title: string }) {
  return { tagName: 'link', rel: 'alternate', type: 'application/json+oembed', href: `${publicUrl}/oembed?url=${encodeURIComponent(pageUrl)}&format=json`, title } as const
}

import { useEffect, useRef } from 'react'

/**
 * An email as its recipient sees it, in a frame as tall as the email, so nothing is clipped
 * and the page scrolls rather than the frame. The frame's document is our own (same origin,
 * its own policy forbids scripts and requests elsewhere), so `allow-same-origin` only lets
 * this page measure it: without `allow-scripts` nothing in the email can run either way.
 * Without JavaScript the frame keeps its CSS height and scrolls inside.
 */
export function EmailFrame({ src, title, className = 'email-frame' }: { src: string; title: string; className?: string }) {
  const frame = useRef<HTMLIFrameElement>(null)
  useEffect(() => {
    const iframe = frame.current
    if (!iframe) return
    const fit = () => {
      const doc = iframe.contentDocument
      if (!doc?.documentElement) return
      // Shrink first, so a narrower frame (the phone preview, a rotated screen) can grow back from its content.
      iframe.style.height = '0px'
      iframe.style.height = `${Math.max(doc.documentElement.scrollHeight, doc.body?.scrollHeight ?? 0) + 2}px`
    }
    const onLoad = () => {
      fit()
      // Images arrive after the document: measure again as each one does.
      iframe.contentDocument?.addEventListener('load', fit, true)
    }
    iframe.addEventListener('load', onLoad)
    if (iframe.contentDocument?.readyState === 'complete' && iframe.contentDocument.body?.childElementCount) onLoad()
    let width = iframe.clientWidth
    const resized = new ResizeObserver(() => {
      if (iframe.clientWidth === width) return
      width = iframe.clientWidth
      fit()
    })
    resized.observe(iframe)
    return () => {
      iframe.removeEventListener('load', onLoad)
      iframe.contentDocument?.removeEventListener('load', fit, true)
      resized.disconnect()
    }
  }, [src])
  return <iframe ref={frame} className={className} title={title} src={src} sandbox="allow-same-origin allow-popups allow-popups-to-escape-sandbox" data-fits-content="" />
}

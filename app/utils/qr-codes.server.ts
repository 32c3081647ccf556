/**
 * QR codes for posters, flyers and the team's own designs, drawn by the `qrcode` package.
 * Level Q (25 % of the code may be lost) because printed codes get folded, rained on and
 * photographed at an angle; the four-module quiet zone is what scanners expect. A code is
 * the same bytes for the same URL, so responses carry an ETag and codes are kept in memory.
 */
import crypto from 'node:crypto'
import QRCode from 'qrcode'

const OPTIONS = { errorCorrectionLevel: 'Q', margin: 4, color: { dark: '#000000', light: '#ffffff' } } as const
/** Large enough to print at 10 cm and 250 dpi from the PNG. */
const PNG_WIDTH = 1024

export type QrFormat = 'svg' | 'png'
type QrFile = { body: Buffer; etag: string; contentType: string }

// Codes are few (campaigns × languages × tags × two formats): keep the last ones made.
const made = new Map<string, QrFile>()
const MAX_KEPT = 500

export async function renderQrCode({ url, format }: { url: string; format: QrFormat }): Promise<QrFile> {
  const key = `${format}:${url}`
  const kept = made.get(key)
  if (kept) return kept
  const body =
    format === 'svg'
      ? Buffer.from(await QRCode.toString(url, { ...OPTIONS, type: 'svg' }))
      : await QRCode.toBuffer(url, { ...OPTIONS, type: 'png', width: PNG_WIDTH })
  const file = {
    body,
    etag: `"${crypto.createHash('sha1').update(body).digest('base64url')}"`,
    contentType: format === 'svg' ? 'image/svg+xml; charset=utf-8' : 'image/png',
  }
  if (made.size >= MAX_KEPT) made.clear()
  made.set(key, file)
  return file
}

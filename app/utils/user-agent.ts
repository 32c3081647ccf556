/** At most this long: the summary is shown in lists and emails, never the header itself. */
const MAX_LENGTH = 60

// Order matters: Edge and Opera and Samsung say "Chrome" too, Chrome says "Safari".
const BROWSERS: [RegExp, string][] = [
  [/\bEdg(?:e|A|iOS)?\//, 'Edge'],
  [/\b(?:OPR|Opera)\//, 'Opera'],
  [/\bSamsungBrowser\//, 'Samsung Internet'],
  [/\b(?:Firefox|FxiOS)\//, 'Firefox'],
  [/\b(?:Chrome|CriOS|Chromium)\//, 'Chrome'],
  [/\bVersion\/[\d.]+.*\bSafari\//, 'Safari'],
]

// Android and iOS before Linux and macOS: their User-Agents name those too.
const SYSTEMS: [RegExp, string][] = [
  [/\bAndroid\b/, 'Android'],
  [/\b(?:iPhone|iPad|iPod)\b/, 'iOS'],
  [/\bCrOS\b/, 'ChromeOS'],
  [/\bWindows\b/, 'Windows'],
  [/\bMac OS X\b|\bMacintosh\b/, 'macOS'],
  [/\bLinux\b|\bX11\b/, 'Linux'],
]

/** "Firefox on Linux" from a User-Agent header; '' when neither part is recognised. */
export function describeUserAgent(ua: string | null): string {
  if (!ua) return ''
  // Only the start is read: a huge header costs nothing more.
  const head = ua.slice(0, 512)
  const browser = BROWSERS.find(([re]) => re.test(head))?.[1]
  const system = SYSTEMS.find(([re]) => re.test(head))?.[1]
  const summary = browser && system ? `${browser} on ${system}` : (browser ?? system ?? '')
  return summary.slice(0, MAX_LENGTH)
}

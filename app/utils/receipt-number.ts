/** The number a donor quotes when they write to us: stable, short, sortable, and without gaps. */
export function receiptNumber(n: number) {
  return `VIG-${String(n).padStart(6, '0')}`
}

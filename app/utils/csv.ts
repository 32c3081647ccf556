/**
 * One CSV line (RFC 4180). Cells that a spreadsheet would run as a formula (=, +, -, @,
 * tab, carriage return at the start) get a leading apostrophe: signers type these cells.
 */
export function csvRow(cells: (string | number)[]) {
  return (
    cells
      .map((cell) => {
        let value = String(cell)
        if (/^[=+\-@\t\r]/.test(value)) value = `'${value}`
        return /[",\n\r]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value
      })
      .join(',') + '\r\n'
  )
}
